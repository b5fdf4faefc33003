{#- A level column agrees with its score and the scoring_levels seed:
    the level whose [min_score, max_score] holds round(score). -#}
{% test level_matches_score(model, column_name, score, measure) %}
    with scored as (select * from {{ model }})
    select scored.{{ column_name }}, scored.{{ score }}
    from scored
    left join {{ ref('scoring_levels') }} as levels
        on levels.measure = '{{ measure }}'
        and round(scored.{{ score }}) between levels.min_score and levels.max_score
    where scored.{{ score }} is not null
        and (levels.level is null or levels.level != scored.{{ column_name }})
{% endtest %}
