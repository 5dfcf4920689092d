-- Reference data: reloaded from reference/ whenever its files change.
create table members (
    member_id        varchar primary key,
    name             varchar not null,
    sector           varchar not null,
    country          varchar,
    reporting_since  varchar not null
);

create table indicators (
    indicator    varchar primary key,
    name         varchar not null,
    sectors      varchar[] not null,
    unit         varchar not null,
    is_additive  boolean not null,
    description  varchar
);

create table dimensions (
    dimension  varchar primary key,
    code_list  varchar not null,
    label      varchar
);

create table code_lists (
    code_list  varchar not null,
    code       varchar not null,
    label      varchar,
    primary key (code_list, code)
);

create table indicator_dimensions (
    indicator      varchar not null,
    dimension      varchar not null,
    is_exhaustive  boolean not null,
    primary key (indicator, dimension)
);

create table reporting_plan (
    member_id    varchar not null,
    indicator    varchar not null,
    frequency    varchar not null,
    from_period  varchar not null,
    primary key (member_id, indicator)
);

create table series_breaks (
    indicator  varchar not null,
    member_id  varchar,
    period     varchar not null,
    note       varchar
);

create table reference_versions (
    catalogue_version  varchar not null,
    files_sha256       varchar not null,
    loaded_at          timestamptz not null
);

-- One row per received file, whatever became of it.
create sequence submission_ids start 1;
create table submissions (
    submission_id   bigint primary key default nextval('submission_ids'),
    sha256          varchar not null,
    member_id       varchar not null,
    file_name       varchar not null,  -- as shown to the member; withheld if identifying
    file_name_sha256 varchar not null, -- recognises the same inbox file night after night
    file_format     varchar,
    size_bytes      bigint not null,
    received_at     timestamptz not null,
    state           varchar not null,
    state_changed_at timestamptz not null,
    observation_count integer not null default 0,
    error_count     integer not null default 0,
    warning_count   integer not null default 0,
    duplicate_of    bigint,
    superseded_by   bigint,
    problems        json not null   -- as told to the member: masked, never an identifier
);

-- Append-only; a correction closes earlier rows (valid_to) and adds new ones.
create table observations (
    submission_id  bigint not null,
    member_id      varchar not null,
    period         varchar not null,
    frequency      varchar not null,   -- 'month' or 'quarter'
    quarter        varchar not null,   -- YYYY-Qn the period falls in
    indicator      varchar not null,
    dimension      varchar not null,   -- '' for the indicator's total
    category       varchar not null,   -- '' for the indicator's total
    value          double,             -- null only with status M or L
    status         varchar not null,
    note           varchar,
    valid_from     timestamptz not null,
    valid_to       timestamptz
);
create index observations_key on observations (member_id, period, indicator);

-- Every validation result, per submission and expectation (never an identifying value).
create table validation_results (
    submission_id   bigint,
    run_at          timestamptz not null,
    suite           varchar not null,
    rule            varchar not null,
    severity        varchar not null,
    success         boolean not null,
    unexpected_count bigint not null
);

create table quarantine_erasures (
    sha256      varchar not null,
    member_id   varchar not null,
    erased_at   timestamptz not null,
    quarantined_at timestamptz
);
