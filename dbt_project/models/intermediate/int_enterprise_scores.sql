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
{%- set catalog = indicator_catalog() -%}
{%- set scoring = scoring_catalog() -%}
{%- set by_id = {} -%}
{%- for indicator in catalog -%}{%- do by_id.update({indicator.id: indicator}) -%}{%- endfor -%}
{%- set dimensions = dma_dimensions() -%}

with

stamps as (

    {{ zone_wave_stamps_sql() }}

),

responses as (

    select * from {{ ref('stg_survey__responses') }}
    where {{ delivery_filter('delivery_id', to_build) }}

),

levels as (

    select * from {{ ref('scoring_levels') }}

),

elements as (

    select
        responses.response_id,
        {% for measure, dims in [('dii', ['dii']), ('dma', dimensions)] %}
        {% for dim in dims %}
        {% set suffix = '' if measure == 'dii' else '_' ~ dim %}
        {% set ids = scoring[measure][dim] %}
        {% for id in ids %}{{ indicator_base_flag(by_id[id], 'responses') }}{{ ' + ' if not loop.last }}{% endfor %}
            as {{ 'dii_items' if measure == 'dii' else 'applicable' ~ suffix }},
        {% for id in ids %}{{ indicator_yes_flag(by_id[id], 'responses') }}{{ ' + ' if not loop.last }}{% endfor %}
            as {{ 'dii_score' if measure == 'dii' else 'achieved' ~ suffix }},
        {% endfor %}
        {% endfor %}
        responses.wave_id
    from responses

),

dimension_scores as (

    select
        response_id,
        cast(dii_score as integer) as dii_score,
        cast(dii_items as integer) as dii_items,
        {% for dim in dimensions %}
        {{ safe_ratio('100.0 * achieved_' ~ dim, 'applicable_' ~ dim) }} as score_{{ dim }}
        {{- ',' if not loop.last }}
        {% endfor %}
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
        stamps.zone_wave_stamp,
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
