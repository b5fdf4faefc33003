{#- An interval contains its estimate: low <= estimate <= high, all in [0, 1]
    (rows where any of the three is null are not checked). -#}
{% test ci_ordered(model, column_name, low, high, tolerance=0.000001) %}
    select {{ low }}, {{ column_name }}, {{ high }}
    from {{ model }}
    where {{ column_name }} is not null and {{ low }} is not null and {{ high }} is not null
        and (
            {{ low }} > {{ column_name }} + {{ tolerance }}
            or {{ column_name }} > {{ high }} + {{ tolerance }}
            or {{ low }} < 0 or {{ high }} > 1
        )
{% endtest %}
