{#-
    Digital intensity (DII-style count) and six-dimension maturity scores per
    response, from the scoring seed: an element counts when the response is in
    its indicator's base; achieved when the indicator says yes.
-#}
{%- set dimensions = dma_dimensions() -%}

with

outcomes as (

    select * from {{ ref('int_indicator_outcomes') }}

),

elements as (

    select * from {{ ref('scoring_elements') }}

),

levels as (

    select * from {{ ref('scoring_levels') }}

),

element_outcomes as (

    select
        outcomes.response_id,
        elements.measure,
        elements.dimension,
        case when outcomes.in_base then 1 else 0 end as is_applicable,
        case when outcomes.in_base and outcomes.is_yes then 1 else 0 end as is_achieved
    from outcomes
    inner join elements
        on outcomes.indicator_id = elements.indicator_id

),

dii as (

    select
        response_id,
        cast(sum(is_achieved) as integer) as dii_score,
        cast(sum(is_applicable) as integer) as dii_items
    from element_outcomes
    where measure = 'dii'
    group by response_id

),

dimension_scores as (

    select
        response_id,
        dimension,
        {{ safe_ratio('100.0 * sum(is_achieved)', 'sum(is_applicable)') }} as score
    from element_outcomes
    where measure = 'dma'
    group by response_id, dimension

),

dma as (

    select
        response_id,
        {% for dim in dimensions %}
        {% set dimension_score = "max(case when dimension = '" ~ dim ~ "' then score end)" %}
        {{ round_double(dimension_score, 2) }} as dma_{{ dim }},
        {% endfor %}
        {{ round_double('avg(score)', 2) }} as dma_score
    from dimension_scores
    group by response_id

),

final as (

    select
        dii.response_id,
        dii.dii_score,
        dii.dii_items,
        dii_levels.level as dii_level,
        {% for dim in dimensions %}
        dma.dma_{{ dim }},
        {% endfor %}
        dma.dma_score,
        dma_levels.level as dma_level
    from dii
    inner join dma
        on dii.response_id = dma.response_id
    left join levels as dii_levels
        on dii_levels.measure = 'dii'
            and dii.dii_score between dii_levels.min_score and dii_levels.max_score
    left join levels as dma_levels
        on dma_levels.measure = 'dma'
            and round(dma.dma_score) between dma_levels.min_score and dma_levels.max_score

)

select * from final
