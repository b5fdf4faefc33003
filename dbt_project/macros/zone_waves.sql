{#-
    Incremental builds by zone-wave (DuckDB target; on Spark the same models are
    plain tables, rebuilt whole).

    Each incremental model stores, on every row, the `zone_wave_stamp` of the
    zone-wave it was computed from: zone, wave, the loaded delivery, when its rows
    were loaded, and the delivery whose zone register weights it. A run
    (1) deletes every row whose stamp is no longer current (a correction, a
    refused delivery's zone-wave gone, a register that changed, a zone-wave
    forced through --vars), in a pre-hook, and
    (2) computes only the loaded zone-waves the table then lacks.
    What to rebuild is decided by the data, never by what the run was told: a
    crash or a missing var cannot leave a zone-wave stale. A zone-wave whose
    delivery accepted no row leaves no row and is recomputed (at no cost) each run.
-#}

{#- What else a model's rows depend on, as a digest appended to every stamp: the
    model's own code, every macro of this project (shared ones such as
    macros/indicators.sql and the generated catalog and codebook macros), the vars
    the models use, and the pseudonym key (one-way: a digest of a 256-bit key). A
    change to any of these makes every stamp stale, so the next run rebuilds the
    whole table without --full-refresh. -#}
{% macro model_fingerprint() -%}
    {%- set parts = [
        model.raw_code,
        project_macros_source(),
        indicator_catalog() | string,
        scoring_catalog() | string,
        codebook_columns() | string,
        codebook_harmonized_columns() | string,
        var('min_cell_respondents') | string,
        var('weighting_method_of_record') | string,
        [var('raking_iterations'), var('raking_tolerance'), var('raking_g_min'),
            var('raking_g_max'), var('raking_min_margin_respondents')] | string,
        'smesurvey-stamp|' ~ pseudonym_key(),
    ] -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}

{#- The source of every macro of this project, in name order. -#}
{% macro project_macros_source() -%}
    {%- set sources = [] -%}
    {%- for name in context.keys() | sort -%}
        {%- set candidate = context[name] -%}
        {%- if candidate.macro is defined and candidate.macro.package_name == project_name -%}
            {%- do sources.append(candidate.macro.macro_sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(sources | join('\n')) }}
{%- endmacro %}

{#- The stamp this model stores for a zone-wave of int_zone_wave_stamps. -#}
{% macro model_stamp(stamp_column) -%}
    {{ stamp_column }} || '|{{ model_fingerprint() }}'
{%- endmacro %}

{#- Zone-waves named by --vars '{"zone_waves": [[2021, "Z01"], ...]}': rebuilt even
    when their stamp is current (e.g. after a model change; --full-refresh rebuilds all). -#}
{% macro forced_zone_waves() -%}
    {%- set forced = [] -%}
    {%- for pair in var('zone_waves', none) or [] -%}
        {%- do forced.append((pair[0] | int, pair[1] | string)) -%}
    {%- endfor -%}
    {{ return(forced) }}
{%- endmacro %}

{% macro forced_zone_wave_condition() -%}
    {%- set forced = forced_zone_waves() -%}
    {%- if forced -%}
        ({% for wave, zone in forced -%}
            (wave_id = {{ wave }} and zone_id = '{{ zone }}'){{ ' or ' if not loop.last }}
        {%- endfor %})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- Whether this model's existing table has `column`: a table written by an older
    version of the model may lack its stamp (it is then emptied and rebuilt whole,
    and on_schema_change='sync_all_columns' gives it the model's columns). -#}
{% macro has_stamp_column(column) -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{ return(column in columns) }}
{%- endmacro %}

{#- pre-hook: drop the rows of zone-waves whose stamp is not current any more. -#}
{% macro delete_stale_zone_waves() -%}
    {%- if is_incremental() and not has_stamp_column('zone_wave_stamp') -%}
        delete from {{ this }}
    {%- elif is_incremental() -%}
        delete from {{ this }}
        where
            zone_wave_stamp not in (
                select {{ model_stamp('stamps.zone_wave_stamp') }}
                from {{ ref('int_zone_wave_stamps') }} as stamps
            )
            or {{ forced_zone_wave_condition() }}
    {%- endif -%}
{%- endmacro %}

{#- The loaded zone-waves this run computes: [{delivery_id, ...}], or none for all
    of them (first build, --full-refresh, the Spark target, parsing). Queried when
    the model compiles, i.e. before its pre-hook: the zone-waves the table lacks or
    holds under another stamp, plus the forced ones. -#}
{% macro zone_waves_to_build() -%}
    {%- if not execute or not is_incremental() or not has_stamp_column('zone_wave_stamp') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        with stamps as (select * from {{ ref('int_zone_wave_stamps') }}),
        held as (select distinct zone_wave_stamp from {{ this }})
        select stamps.zone_id, stamps.wave_id, stamps.delivery_id
        from stamps
        where
            {{ model_stamp('stamps.zone_wave_stamp') }} not in (select held.zone_wave_stamp from held)
            or {{ forced_zone_wave_condition() }}
        order by stamps.wave_id, stamps.zone_id
    {%- endset -%}
    {%- set rows = run_query(query) -%}
    {%- set out = [] -%}
    {%- for row in rows -%}
        {%- do out.append({'zone_id': row[0], 'wave_id': row[1], 'delivery_id': row[2]}) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- A filter on a delivery_id column: the deliveries of the zone-waves to build. -#}
{% macro delivery_filter(column, to_build) -%}
    {%- if to_build is none -%}
        true
    {%- elif to_build | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in (
            {%- for zw in to_build -%}
                '{{ zw.delivery_id }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        )
    {%- endif -%}
{%- endmacro %}

{#- Model config shared by the zone-wave incremental models. -#}
{% macro zone_wave_incremental_config() -%}
    {%- if target.type == 'duckdb' -%}
        {{ config(
            materialized='incremental',
            incremental_strategy='append',
            on_schema_change='sync_all_columns',
            pre_hook="{{ delete_stale_zone_waves() }}"
        ) }}
    {%- else -%}
        {{ config(materialized='table') }}
    {%- endif -%}
{%- endmacro %}

{#- Data tests on big per-zone-wave tables look at the rows this invocation wrote
    (`where` config); --vars '{"test_all_rows": true}' checks every row. -#}
{% macro rows_of_this_run() -%}
    {%- if var('test_all_rows', false) -%}
        true
    {%- else -%}
        built_by = '{{ invocation_id }}'
    {%- endif -%}
{%- endmacro %}

{#-
    Incremental builds by wave, for the enterprise-level models whose rows depend on
    every zone-wave of a wave (int_enterprise_waves keeps one questionnaire per
    enterprise and wave across zones) or of two waves (int_enterprise_panel_linked:
    wave t and the next wave). int_wave_stamps gives each wave a `wave_stamp` (a
    digest of its zone-wave stamps) and a `link_stamp` (its own and the next wave's);
    a model stores one of them on every row, deletes the rows whose stamp is stale
    (pre-hook) and computes the waves it then lacks. A new zone-wave so rebuilds its
    wave and the links into and out of that wave, never history.
-#}

{#- The waves of the zone-waves forced by --vars zone_waves. -#}
{% macro forced_waves() -%}
    {%- set waves = [] -%}
    {%- for wave, zone in forced_zone_waves() if wave not in waves -%}
        {%- do waves.append(wave) -%}
    {%- endfor -%}
    {{ return(waves) }}
{%- endmacro %}

{#- A filter on a wave column: the given wave ids (none = no filter). -#}
{% macro wave_filter(column, waves) -%}
    {%- if waves is none -%}
        true
    {%- elif waves | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in ({{ waves | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{#- `wave_columns`: pairs [column of the model, column of int_wave_stamps] naming
    the waves a row depends on; a row depends on a forced wave through any of them. -#}

{#- pre-hook: drop the rows whose `stamp_column` (of int_wave_stamps) is not current,
    and the rows of forced waves. -#}
{% macro delete_stale_waves(stamp_column, wave_columns) -%}
    {%- if is_incremental() and not has_stamp_column(stamp_column) -%}
        delete from {{ this }}
    {%- elif is_incremental() -%}
        delete from {{ this }}
        where
            {{ stamp_column }} not in (
                select {{ model_stamp('stamps.' ~ stamp_column) }}
                from {{ ref('int_wave_stamps') }} as stamps
            )
            {%- for own, _ in wave_columns %}
            or {{ wave_filter(own, forced_waves()) }}
            {%- endfor %}
    {%- endif -%}
{%- endmacro %}

{#- The waves this run computes: [{wave_id, next_wave_id}] of int_wave_stamps whose
    `stamp_column` the table lacks, plus the forced ones; none for all waves (first
    build, --full-refresh, Spark, parsing). -#}
{% macro waves_to_build(stamp_column, wave_columns) -%}
    {%- if not execute or not is_incremental() or not has_stamp_column(stamp_column) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select stamps.wave_id, stamps.next_wave_id
        from {{ ref('int_wave_stamps') }} as stamps
        where
            {{ model_stamp('stamps.' ~ stamp_column) }}
            not in (select held.{{ stamp_column }} from {{ this }} as held)
            {%- for _, theirs in wave_columns %}
            or {{ wave_filter('stamps.' ~ theirs, forced_waves()) }}
            {%- endfor %}
        order by stamps.wave_id
    {%- endset -%}
    {%- set out = [] -%}
    {%- for row in run_query(query) -%}
        {%- do out.append({'wave_id': row[0], 'next_wave_id': row[1]}) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- Model config of the wave incremental models. -#}
{% macro wave_incremental_config(stamp_column, wave_columns) -%}
    {%- if target.type == 'duckdb' -%}
        {{ config(
            materialized='incremental',
            incremental_strategy='append',
            on_schema_change='sync_all_columns',
            pre_hook="{{ delete_stale_waves('" ~ stamp_column ~ "', " ~ (wave_columns | tojson) ~ ") }}"
        ) }}
    {%- else -%}
        {{ config(materialized='table') }}
    {%- endif -%}
{%- endmacro %}

{#- The waves whose rows of int_enterprise_waves this invocation wrote, as a filter on
    a view's wave_id (fct_enterprise_wave); with test_all_rows, every row. Found
    through the graph, not ref(), as it runs inside other nodes' tests. -#}
{% macro waves_of_this_run() -%}
    {%- if var('test_all_rows', false) -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set node = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', 'int_enterprise_waves') | first -%}
    {%- set relation = api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias
    ) -%}
    {{ return("wave_id in (select wave_id from " ~ relation ~ " where "
        ~ rows_of_this_run() ~ ")") }}
{%- endmacro %}

{#- THE duplicate rule (one place): when an enterprise (enterprise_key) has more
    than one accepted questionnaire in a wave, the one kept is the latest loaded
    (then the later delivery id, source file and row: a total order).
    int_responses_classified ranks the questionnaires of a delivery by it
    (questionnaire_rank, 1 = kept) and every model reads only rank 1;
    int_enterprise_waves applies the same order across the zones of a wave as a
    safety net. Within one delivery the load time is shared, so the later file and
    row win: the later-keyed record of the same enterprise.
    Why per delivery is enough for the zone-wave incremental models: the quality
    gate rejects every occurrence of a USCC repeated in a delivery (uscc.duplicate)
    and every questionnaire whose USCC another zone of the wave holds, in the build
    DB or in the same batch (uscc.other_zone; tests/quality/test_gate.py), so a
    zone-wave's kept questionnaires never depend on another zone-wave's rows; the
    singular test assert_one_questionnaire_per_enterprise_and_wave fails the build
    if that guarantee is ever broken (e.g. rows loaded around the gate). -#}
{% macro latest_questionnaire_first(relation='') -%}
    {%- set p = relation ~ '.' if relation else '' -%}
    {{ p }}loaded_at desc, {{ p }}delivery_id desc, {{ p }}source_file desc, {{ p }}source_row desc
{%- endmacro %}
