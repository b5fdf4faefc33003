{#- The indicator catalog (seeds/indicators.csv, generated from
    definitions/indicators.yaml and the codebook). -#}
with

indicators as (

    select * from {{ ref('indicators') }}

),

sections as (

    select * from {{ ref('cb_sections') }}

),

final as (

    select
        indicators.indicator_id,
        indicators.label_zh,
        indicators.label_en,
        indicators.section,
        sections.label_zh as section_label_zh,
        sections.label_en as section_label_en,
        indicators.base_population,
        indicators.numerator_rule,
        indicators.numerator_match,
        'share of base (' || indicators.base_population || ') with '
        || indicators.numerator_rule as definition,
        indicators.first_wave as first_comparable_wave,
        indicators.last_wave,
        indicators.instrument_versions,
        indicators.comparability,
        indicators.comparability_note,
        indicators.not_asked,
        indicators.sort_order
    from indicators
    left join sections
        on indicators.section = sections.section

)

select * from final
