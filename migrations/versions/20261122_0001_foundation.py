"""Foundation: reference data, users, audit log, organisations, leads and sites.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 10:02:38.742298
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import app.db.base

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Uuid(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('entity_type', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_actor_user_id'), ['actor_user_id'], unique=False)
        batch_op.create_index('ix_audit_entries_entity', ['entity_type', 'entity_id', 'id'], unique=False)

    op.create_table('industries',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('parent_code', sa.String(length=40), nullable=True),
    sa.Column('name_fi', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('nace_codes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('nace_version', sa.String(length=10), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['industries.code'], name=op.f('fk_industries_parent_code_industries')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_industries'))
    )
    op.create_table('lost_reasons',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_fi', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_lost_reasons'))
    )
    op.create_table('municipalities',
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name_fi', sa.String(length=80), nullable=False),
    sa.Column('name_sv', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('region_code', sa.String(length=2), nullable=False),
    sa.Column('website_url', sa.String(length=300), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_municipalities')),
    sa.UniqueConstraint('slug', name=op.f('uq_municipalities_slug'))
    )
    op.create_table('stages',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_fi', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('default_probability', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_stages'))
    )
    op.create_table('organizations',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('business_id', sa.String(length=9), nullable=True),
    sa.Column('foreign_registry_id', sa.String(length=60), nullable=True),
    sa.Column('industry_code', sa.String(length=40), nullable=True),
    sa.Column('nace_code', sa.String(length=10), nullable=True),
    sa.Column('nace_version', sa.String(length=10), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['industry_code'], ['industries.code'], name=op.f('fk_organizations_industry_code_industries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('business_id', name=op.f('uq_organizations_business_id'))
    )
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizations_name_key'), ['name_key'], unique=False)

    op.create_table('contacts',
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role_title', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('lawful_basis', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('consent_text_version', sa.String(length=40), nullable=True),
    sa.Column('consent_given_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retention_until', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('erased_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_contacts_organization_id_organizations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_organization_id'), ['organization_id'], unique=False)

    op.create_table('users',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('municipality_code', sa.String(length=3), nullable=True),
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('failed_login_count', sa.Integer(), nullable=False),
    sa.Column('locked_until', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("(role = 'municipal_contact') = (municipality_code IS NOT NULL)", name=op.f('ck_users_municipality_binding')),
    sa.CheckConstraint("(role = 'partner') = (organization_id IS NOT NULL)", name=op.f('ck_users_organization_binding')),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipalities.code'], name=op.f('fk_users_municipality_code_municipalities')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_users_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('api_tokens',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('investment_targets',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('amount_eur', sa.BigInteger(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('industry_code', sa.String(length=40), nullable=True),
    sa.Column('municipality_code', sa.String(length=3), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("scope IN ('industrial', 'all')", name=op.f('ck_investment_targets_scope_known')),
    sa.CheckConstraint('amount_eur > 0', name=op.f('ck_investment_targets_amount_positive')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_investment_targets_period_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_investment_targets_created_by_id_users')),
    sa.ForeignKeyConstraint(['industry_code'], ['industries.code'], name=op.f('fk_investment_targets_industry_code_industries')),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipalities.code'], name=op.f('fk_investment_targets_municipality_code_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investment_targets'))
    )
    op.create_table('leads',
    sa.Column('code_name', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('industry_code', sa.String(length=40), nullable=True),
    sa.Column('investment_type', sa.String(length=30), nullable=False),
    sa.Column('origin_country', sa.String(length=2), nullable=True),
    sa.Column('capex_eur', sa.BigInteger(), nullable=True),
    sa.Column('capex_basis', sa.String(length=10), nullable=False),
    sa.Column('capex_status', sa.String(length=10), nullable=False),
    sa.Column('jobs', sa.Integer(), nullable=True),
    sa.Column('jobs_basis', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('stage_code', sa.String(length=40), nullable=False),
    sa.Column('stage_changed_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('probability_override', sa.Integer(), nullable=True),
    sa.Column('probability_reason', sa.String(length=300), nullable=True),
    sa.Column('expected_decision_on', sa.Date(), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('landing_municipality_code', sa.String(length=3), nullable=True),
    sa.Column('landed_on', sa.Date(), nullable=True),
    sa.Column('lost_reason_code', sa.String(length=40), nullable=True),
    sa.Column('lost_note', sa.Text(), nullable=True),
    sa.Column('requirements', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('last_activity_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('capex_eur IS NULL OR capex_eur >= 0', name=op.f('ck_leads_capex_nonnegative')),
    sa.CheckConstraint('probability_override IS NULL OR probability_override BETWEEN 0 AND 100', name=op.f('ck_leads_probability_range')),
    sa.ForeignKeyConstraint(['industry_code'], ['industries.code'], name=op.f('fk_leads_industry_code_industries')),
    sa.ForeignKeyConstraint(['landing_municipality_code'], ['municipalities.code'], name=op.f('fk_leads_landing_municipality_code_municipalities')),
    sa.ForeignKeyConstraint(['lost_reason_code'], ['lost_reasons.code'], name=op.f('fk_leads_lost_reason_code_lost_reasons')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_leads_organization_id_organizations')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_leads_owner_id_users')),
    sa.ForeignKeyConstraint(['stage_code'], ['stages.code'], name=op.f('fk_leads_stage_code_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('code_name', name=op.f('uq_leads_code_name'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_industry_code'), ['industry_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_last_activity_at'), ['last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_leads_stage_updated', ['stage_code', 'updated_at'], unique=False)

    op.create_table('sites',
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('municipality_code', sa.String(length=3), nullable=False),
    sa.Column('external_ref', sa.String(length=80), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name_fi', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('description_fi', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('polygon', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('area_ha', sa.Double(), nullable=True),
    sa.Column('area_m2', sa.Double(), nullable=True),
    sa.Column('floor_area_m2', sa.Double(), nullable=True),
    sa.Column('zoning_status', sa.String(length=40), nullable=True),
    sa.Column('permitted_use', sa.String(length=300), nullable=True),
    sa.Column('ownership', sa.String(length=20), nullable=True),
    sa.Column('tenure', sa.String(length=20), nullable=True),
    sa.Column('price_eur', sa.BigInteger(), nullable=True),
    sa.Column('price_terms', sa.String(length=300), nullable=True),
    sa.Column('available_from', sa.Date(), nullable=True),
    sa.Column('grid_connection', sa.Boolean(), nullable=True),
    sa.Column('available_power_mw', sa.Double(), nullable=True),
    sa.Column('substation_110kv_km', sa.Double(), nullable=True),
    sa.Column('substation_400kv_km', sa.Double(), nullable=True),
    sa.Column('water_m3_per_day', sa.Double(), nullable=True),
    sa.Column('wastewater_m3_per_day', sa.Double(), nullable=True),
    sa.Column('district_heat', sa.Boolean(), nullable=True),
    sa.Column('gas', sa.Boolean(), nullable=True),
    sa.Column('rail_siding', sa.Boolean(), nullable=True),
    sa.Column('road_km', sa.Double(), nullable=True),
    sa.Column('airport_km', sa.Double(), nullable=True),
    sa.Column('port_km', sa.Double(), nullable=True),
    sa.Column('fibre', sa.Boolean(), nullable=True),
    sa.Column('environmental_permit', sa.String(length=20), nullable=True),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('last_verified_on', sa.Date(), nullable=True),
    sa.Column('submitted_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', app.db.base.UTCDateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sites_created_by_id_users')),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipalities.code'], name=op.f('fk_sites_municipality_code_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('municipality_code', 'external_ref', name='uq_sites_municipality_ref'),
    sa.UniqueConstraint('slug', name=op.f('uq_sites_slug'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index('ix_sites_status_municipality', ['status', 'municipality_code'], unique=False)

    op.create_table('user_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_user_sessions'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('lead_contacts',
    sa.Column('lead_id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_lead_contacts_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_contacts_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', 'contact_id', name=op.f('pk_lead_contacts'))
    )
    op.create_table('lead_municipalities',
    sa.Column('lead_id', sa.Uuid(), nullable=False),
    sa.Column('municipality_code', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_municipalities_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipalities.code'], name=op.f('fk_lead_municipalities_municipality_code_municipalities')),
    sa.PrimaryKeyConstraint('lead_id', 'municipality_code', name=op.f('pk_lead_municipalities'))
    )
    op.create_table('lead_shares',
    sa.Column('lead_id', sa.Uuid(), nullable=False),
    sa.Column('municipality_code', sa.String(length=3), nullable=True),
    sa.Column('organization_id', sa.Uuid(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('shared_by_id', sa.Uuid(), nullable=True),
    sa.Column('shared_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responded_by_id', sa.Uuid(), nullable=True),
    sa.Column('responded_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_note', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'declined')", name=op.f('ck_lead_shares_status_known')),
    sa.CheckConstraint('(municipality_code IS NULL) <> (organization_id IS NULL)', name=op.f('ck_lead_shares_one_receiver')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_shares_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipalities.code'], name=op.f('fk_lead_shares_municipality_code_municipalities')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_lead_shares_organization_id_organizations')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['users.id'], name=op.f('fk_lead_shares_responded_by_id_users')),
    sa.ForeignKeyConstraint(['shared_by_id'], ['users.id'], name=op.f('fk_lead_shares_shared_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_shares'))
    )
    with op.batch_alter_table('lead_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_shares_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_shares_municipality_code'), ['municipality_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_shares_organization_id'), ['organization_id'], unique=False)

    op.create_table('lead_sites',
    sa.Column('lead_id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_sites_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_lead_sites_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', 'site_id', name=op.f('pk_lead_sites'))
    )
    op.create_table('lead_stage_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('lead_id', sa.Uuid(), nullable=False),
    sa.Column('from_stage', sa.String(length=40), nullable=True),
    sa.Column('to_stage', sa.String(length=40), nullable=False),
    sa.Column('at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Uuid(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_lead_stage_changes_actor_user_id_users')),
    sa.ForeignKeyConstraint(['from_stage'], ['stages.code'], name=op.f('fk_lead_stage_changes_from_stage_stages')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_stage_changes_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_stage'], ['stages.code'], name=op.f('fk_lead_stage_changes_to_stage_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_stage_changes'))
    )
    with op.batch_alter_table('lead_stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_lead_stage_changes_lead_at', ['lead_id', 'at'], unique=False)

    op.create_table('site_industries',
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('industry_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['industry_code'], ['industries.code'], name=op.f('fk_site_industries_industry_code_industries')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_industries_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', 'industry_code', name=op.f('pk_site_industries'))
    )


def downgrade() -> None:
    op.drop_table('site_industries')
    with op.batch_alter_table('lead_stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_stage_changes_lead_at')

    op.drop_table('lead_stage_changes')
    op.drop_table('lead_sites')
    with op.batch_alter_table('lead_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_shares_organization_id'))
        batch_op.drop_index(batch_op.f('ix_lead_shares_municipality_code'))
        batch_op.drop_index(batch_op.f('ix_lead_shares_lead_id'))

    op.drop_table('lead_shares')
    op.drop_table('lead_municipalities')
    op.drop_table('lead_contacts')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_sessions_expires_at'))

    op.drop_table('user_sessions')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index('ix_sites_status_municipality')

    op.drop_table('sites')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_stage_updated')
        batch_op.drop_index(batch_op.f('ix_leads_owner_id'))
        batch_op.drop_index(batch_op.f('ix_leads_organization_id'))
        batch_op.drop_index(batch_op.f('ix_leads_last_activity_at'))
        batch_op.drop_index(batch_op.f('ix_leads_industry_code'))

    op.drop_table('leads')
    op.drop_table('investment_targets')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_organization_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_email'))

    op.drop_table('contacts')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizations_name_key'))

    op.drop_table('organizations')
    op.drop_table('stages')
    op.drop_table('municipalities')
    op.drop_table('lost_reasons')
    op.drop_table('industries')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_entity')
        batch_op.drop_index(batch_op.f('ix_audit_entries_actor_user_id'))

    op.drop_table('audit_entries')
