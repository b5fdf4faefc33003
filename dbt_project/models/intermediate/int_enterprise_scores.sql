{#-
    One row per loaded response: who and what it is, its digital intensity
    (DII-style count) and six-dimension maturity scores. Scores come from the
    indicator rules of the scoring seed evaluated on the response's own columns
    (macros/indicators.sql): an element counts when the response is in its
    indicator's base, and is achieved when the indicator says yes. Incremental by
    zone-wave (macros/zone_waves.sql).
-#}
{{ zone_wave_incremental_config() }}
{%- set to_build = zone_waves_to_build() -%}
{%- set scoring = scoring_catalog() -%}
{%- set by_id = catalog_by_id(indicator_catalog()) -%}
{%- set dimensions = dma_dimensions() -%}
{%- set used = scoring_indicator_ids(scoring) -%}

{% if to_build == [] -%}
-- nothing to rebuild: no rows, the table's own columns
select * from {{ this }} where false
{%- else -%}
with

stamps as (

    select * from {{ ref('int_zone_wave_stamps') }}

),

responses as (

    select * from {{ ref('int_responses_classified') }}
    where
        {{ delivery_filter('delivery_id', to_build) }}
        -- one questionnaire per enterprise and wave (macro latest_questionnaire_first)
        and questionnaire_rank = 1

),

levels as (

    select * from {{ ref('scoring_levels') }}

),

-- every scoring indicator once: in its base, and achieved (in base and yes)
flags as (

    select
        response_id,
        -- noqa: disable=LT02,LT05
        {% for id in used %}
        {{ indicator_in_base(by_id[id]) }} as base__{{ id }},
        {{ indicator_numerator(by_id[id]) }} as yes__{{ id }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        wave_id
    from responses

),

elements as (

    select
        response_id,
        -- noqa: disable=LT02
        {% for measure, dims in [('dii', ['dii']), ('dma', dimensions)] %}
        {% for dim in dims %}
        {% set suffix = '' if measure == 'dii' else '_' ~ dim %}
        {% for id in scoring[measure][dim] %}
        {{ '+ ' if not loop.first }}case when base__{{ id }} then 1 else 0 end
        {% endfor %}
        as {{ 'dii_items' if measure == 'dii' else 'applicable' ~ suffix }},
        {% for id in scoring[measure][dim] %}
        {{ '+ ' if not loop.first }}case when base__{{ id }} and yes__{{ id }} then 1 else 0 end
        {% endfor %}
        as {{ 'dii_score' if measure == 'dii' else 'achieved' ~ suffix }},
        {% endfor %}
        {% endfor %}
        -- noqa: enable=LT02
        wave_id
    from flags

),

dimension_scores as (

    select
        response_id,
        cast(dii_score as integer) as dii_score,
        cast(dii_items as integer) as dii_items,
        -- noqa: disable=LT02
        {% for dim in dimensions %}
        {{ safe_ratio('100.0 * achieved_' ~ dim, 'applicable_' ~ dim) }} as score_{{ dim }},
        {% endfor %}
        -- noqa: enable=LT02
        wave_id
    from elements

),

dma as (

    select
        response_id,
        dii_score,
        dii_items,
        {% for dim in dimensions %}
        {{ round_double('score_' ~ dim, 2) }} as dma_{{ dim }},
        {% endfor %}
        -- mean of the dimensions that apply (null when none does)
        {{ round_double(dma_mean(dimensions), 2) }} as dma_score
    from dimension_scores

),

final as (

    select
        responses.response_id,
        responses.enterprise_key,
        responses.wave_id,
        responses.zone_id,
        responses.delivery_id,
        {{ model_stamp('stamps.zone_wave_stamp') }} as zone_wave_stamp,
        '{{ invocation_id }}' as built_by,
        responses.loaded_at,
        responses.source_file,
        responses.source_row,
        responses.instrument_version,
        responses.mode,
        responses.a5_industry_section as industry_section,
        responses.a6_industry_division as industry_division,
        responses.industry_group,
        responses.size_class,
        responses.size_from_employee_band,
        responses.is_manufacturer,
        dma.dii_score,
        dma.dii_items,
        dii_levels.level as dii_level,
        {% for dim in dimensions %}
        dma.dma_{{ dim }},
        {% endfor %}
        dma.dma_score,
        dma_levels.level as dma_level
    from responses
    inner join stamps
        on responses.delivery_id = stamps.delivery_id
    inner join dma
        on responses.response_id = dma.response_id
    left join levels as dii_levels
        on dii_levels.measure = 'dii'
            and dma.dii_score between dii_levels.min_score and dii_levels.max_score
    left join levels as dma_levels
        on dma_levels.measure = 'dma'
            and round(dma.dma_score) between dma_levels.min_score and dma_levels.max_score

)

select * from final
{%- endif %}
