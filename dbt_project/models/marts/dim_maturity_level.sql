{#-
    The levels of the two maturity scores in their order, with zh/en labels and
    cut-points (dbt_project/definitions/scoring.yaml). Join on (measure, level) to
    sort or label fct_enterprise_wave and fct_maturity_transitions levels.
-#}
with

levels as (

    select * from {{ ref('scoring_levels') }}

),

final as (

    select
        measure,
        level,
        level_rank,
        label_en,
        label_zh,
        min_score,
        max_score
    from levels

)

select * from final
