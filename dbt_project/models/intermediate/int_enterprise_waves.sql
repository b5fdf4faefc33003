{#- One row per enterprise and wave (the latest loaded questionnaire when an
    enterprise answered twice in a wave, in any zone), with attributes, weight and
    scores. Reads the per-response tables only (no staged microdata). Incremental
    by wave (macros/zone_waves.sql): which questionnaire is kept may depend on any
    zone-wave of the wave. -#}
{{ wave_incremental_config('wave_stamp', [['wave_id', 'wave_id']]) }}
{%- set to_build = waves_to_build('wave_stamp', [['wave_id', 'wave_id']]) -%}
{%- set waves = none if to_build is none else to_build | map(attribute='wave_id') | list -%}

{% if to_build == [] -%}
-- nothing to rebuild: no rows, the table's own columns
select * from {{ this }} where false
{%- else -%}
with

stamps as (

    select * from {{ ref('int_wave_stamps') }}

),

scores as (

    select * from {{ ref('int_enterprise_scores') }}
    where {{ wave_filter('wave_id', waves) }}

),

weights as (

    select * from {{ ref('int_response_weights') }}
    where {{ wave_filter('wave_id', waves) }}

),

ranked as (

    select
        scores.*,
        row_number() over (
            partition by scores.enterprise_key, scores.wave_id
            -- the one duplicate rule; within a delivery staging applied it already,
            -- across zones the gate forbids duplicates: this is a safety net
            order by {{ latest_questionnaire_first('scores') }}
        ) as response_rank
    from scores

),

final as (

    select
        ranked.enterprise_key,
        ranked.wave_id,
        ranked.zone_id,
        ranked.response_id,
        ranked.instrument_version,
        ranked.mode,
        ranked.industry_section,
        ranked.industry_division,
        ranked.industry_group,
        ranked.size_class,
        ranked.size_from_employee_band,
        ranked.is_manufacturer,
        weights.weight,
        weights.weighting_cell,
        weights.g_weight,
        weights.register_wave_id,
        ranked.dii_score,
        ranked.dii_items,
        ranked.dii_level,
        {% for dim in dma_dimensions() %}
        ranked.dma_{{ dim }},
        {% endfor %}
        ranked.dma_score,
        ranked.dma_level,
        {{ model_stamp('stamps.wave_stamp') }} as wave_stamp,
        '{{ invocation_id }}' as built_by
    from ranked
    inner join stamps
        on ranked.wave_id = stamps.wave_id
    left join weights
        on ranked.response_id = weights.response_id
    where ranked.response_rank = 1

)

select * from final
{%- endif %}
