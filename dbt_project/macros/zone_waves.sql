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
    model's own code, the generated catalog and codebook macros, the vars the
    models use, and the pseudonym key (one-way: a digest of a 256-bit key). A
    change to any of these makes every stamp stale, so the next run rebuilds the
    whole table without --full-refresh. Changes to shared macros (macros/*.sql)
    are not covered: build with --full-refresh after those. -#}
{% macro model_fingerprint() -%}
    {%- set parts = [
        model.raw_code,
        indicator_catalog() | string,
        scoring_catalog() | string,
        codebook_columns() | string,
        codebook_harmonized_columns() | string,
        var('min_cell_respondents') | string,
        'smesurvey-stamp|' ~ pseudonym_key(),
    ] -%}
    {{ return(local_md5(parts | join('\n'))) }}
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

{#- pre-hook: drop the rows of zone-waves whose stamp is not current any more. -#}
{% macro delete_stale_zone_waves() -%}
    {%- if is_incremental() -%}
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
    {%- if not execute or not is_incremental() -%}
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
            on_schema_change='fail',
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

{#- THE duplicate rule (one place): when an enterprise (enterprise_key) has more
    than one accepted questionnaire in a wave, the one kept is the latest loaded
    (then the later delivery id, source file and row: a total order). Staging ranks
    the questionnaires of a delivery by it (questionnaire_rank, 1 = kept) and every
    model reads only rank 1; int_enterprise_waves applies the same order across the
    zones of a wave as a safety net. Within one delivery the load time is shared,
    so the later file and row win: the later-keyed record of the same enterprise.
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
