{#-
    Duplicates dropped: one row per questionnaire left out because its enterprise
    answered another questionnaire of the same delivery (zone-wave), with the one
    kept, by the one rule (macro latest_questionnaire_first). The quality gate
    rejects such rows before loading (uscc.duplicate), so this is normally empty;
    it lists what the warehouse dropped if rows ever reach it around the gate.
    Incremental by zone-wave like its input: it reads the zone-wave's staged rows.
-#}
{{ zone_wave_incremental_config() }}
{%- set to_build = zone_waves_to_build() -%}

{% if to_build == [] -%}
-- nothing to rebuild: no rows, the table's own columns
select * from {{ this }} where false
{%- else -%}
with

stamps as (

    select * from {{ ref('int_zone_wave_stamps') }}

),

responses as (

    select
        response_id,
        enterprise_key,
        delivery_id,
        zone_id,
        wave_id,
        source_file,
        source_row,
        questionnaire_rank
    from {{ ref('int_responses_classified') }}
    where {{ delivery_filter('delivery_id', to_build) }}

),

kept as (

    select * from responses
    where questionnaire_rank = 1

),

dropped as (

    select * from responses
    where questionnaire_rank > 1

),

final as (

    select
        dropped.wave_id,
        dropped.zone_id,
        dropped.delivery_id,
        dropped.response_id as dropped_response_id,
        dropped.source_file as dropped_source_file,
        dropped.source_row as dropped_source_row,
        kept.response_id as kept_response_id,
        kept.source_file as kept_source_file,
        kept.source_row as kept_source_row,
        'latest_loaded' as dedup_rule,
        {{ model_stamp('stamps.zone_wave_stamp') }} as zone_wave_stamp,
        '{{ invocation_id }}' as built_by
    from dropped
    inner join kept
        on
            dropped.delivery_id = kept.delivery_id
            and dropped.enterprise_key = kept.enterprise_key
    inner join stamps
        on dropped.delivery_id = stamps.delivery_id

)

select * from final
{%- endif %}
