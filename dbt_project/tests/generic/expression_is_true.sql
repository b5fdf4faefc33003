{#- Rows of the model for which `expression` does not hold fail the test. -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
