{#- Dialect differences between the DuckDB target (default) and the Spark target,
    as adapter.dispatch macros: the models are written once and call these. -#}

{#- HMAC-SHA256 of a string expression (its UTF-8 bytes), lowercase hex:
    H((K xor opad) || H((K xor ipad) || m)), the padded keys given as hex
    (macro hmac_padded_key). The same digest on every engine. -#}
{% macro hmac_sha256_hex(ipad_key_hex, opad_key_hex, message) -%}
    {{ return(adapter.dispatch('hmac_sha256_hex', 'smesurvey')(ipad_key_hex, opad_key_hex, message)) }}
{%- endmacro %}

{% macro default__hmac_sha256_hex(ipad_key_hex, opad_key_hex, message) -%}
    sha256(unhex('{{ opad_key_hex }}') || unhex(sha256(unhex('{{ ipad_key_hex }}') || encode({{ message }}))))
{%- endmacro %}

{% macro spark__hmac_sha256_hex(ipad_key_hex, opad_key_hex, message) -%}
    sha2(concat(unhex('{{ opad_key_hex }}'), unhex(sha2(concat(unhex('{{ ipad_key_hex }}'), encode({{ message }}, 'utf-8')), 256))), 256)
{%- endmacro %}

{#- `name as {{ not_materialized() }} (...)`: a CTE the engine inlines into each of
    its readers. DuckDB materializes a CTE read more than once (computed once, whole):
    the readers' filters and column pruning then stop at it, so a view filtered to
    one delivery would still compute every column of every row below it. Spark
    inlines CTEs itself and has no such keyword. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'smesurvey')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro spark__not_materialized() -%}
{%- endmacro %}

{#- A codebook sql_type (generated macro codebook_columns) as this engine spells it:
    Spark's VARCHAR needs a length, its unbounded text type is STRING. -#}
{% macro column_type(sql_type) -%}
    {{ return(dbt.type_string() if sql_type == 'varchar' else sql_type) }}
{%- endmacro %}

{#- Round a double to `digits` decimals, half away from zero, of x * 10^digits as
    an IEEE double. Written out (not round(x, d)) because the engines disagree on
    decimal ties that are not binary-exact: DuckDB rounds the exact binary value
    (round(2.675, 2) = 2.67), Spark its shortest decimal form (2.68). Rounding to an
    integer agrees on both, and x * 1e2 is the same double on both. -#}
{% macro round_double(expression, digits) -%}
    round(cast({{ expression }} as double) * 1e{{ digits }}) / 1e{{ digits }}
{%- endmacro %}

{#- The distinct values of a string expression over a group, sorted and joined by
    ', ' (an aggregate): readable lists such as the register cells a weighting
    cell collapsed. -#}
{% macro sorted_list_agg(expression) -%}
    {{ return(adapter.dispatch('sorted_list_agg', 'smesurvey')(expression)) }}
{%- endmacro %}

{% macro default__sorted_list_agg(expression) -%}
    string_agg(distinct {{ expression }}, ', ' order by {{ expression }})
{%- endmacro %}

{% macro spark__sorted_list_agg(expression) -%}
    array_join(array_sort(collect_set({{ expression }})), ', ')
{%- endmacro %}

{#-
    Fixed-point iterations inside one expression (raking by IPF, the backfitting of
    the calibration fit): the rows to iterate on are packed into one list of
    structs per group, a fold applies the step `steps` times, and the list is
    unpacked into rows again. One expression, whatever the number of steps: an
    unrolled chain of one CTE per step is more than Spark's analyzer can plan.
    Both engines fold the list in its sorted order and sum sequentially, so they
    agree to the last bit.
-#}

{#- A struct of `fields`, a list of [name, expression] pairs. -#}
{% macro struct_of(fields) -%}
    {{ return(adapter.dispatch('struct_of', 'smesurvey')(fields)) }}
{%- endmacro %}

{% macro default__struct_of(fields) -%}
    struct_pack(
        {%- for name, expression in fields -%}
            {{ name }} := {{ expression }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}

{% macro spark__struct_of(fields) -%}
    named_struct(
        {%- for name, expression in fields -%}
            '{{ name }}', {{ expression }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}

{#- An aggregate: the values of a struct expression over the group, as a list
    sorted by the struct's fields in order (the first fields should identify a row). -#}
{% macro sorted_struct_list(expression) -%}
    {{ return(adapter.dispatch('sorted_struct_list', 'smesurvey')(expression)) }}
{%- endmacro %}

{% macro default__sorted_struct_list(expression) -%}
    list_sort(list({{ expression }}))
{%- endmacro %}

{% macro spark__sorted_struct_list(expression) -%}
    array_sort(collect_list({{ expression }}))
{%- endmacro %}

{#- A generator in a select list: one row per element of a list. -#}
{% macro unnest_list(list) -%}
    {{ return(adapter.dispatch('unnest_list', 'smesurvey')(list)) }}
{%- endmacro %}

{% macro default__unnest_list(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__unnest_list(list) -%}
    explode({{ list }})
{%- endmacro %}

{#- `step` applied `steps` times to `initial`: in `step`, the current value is
    named `accumulator` and the step number (0, 1, ...) `step_number`. -#}
{% macro fold_steps(initial, steps, accumulator, step_number, step) -%}
    {%- if steps | int < 1 -%}
        {{ return(initial) }}
    {%- endif -%}
    {{ return(adapter.dispatch('fold_steps', 'smesurvey')(initial, steps | int, accumulator, step_number, step)) }}
{%- endmacro %}

{% macro default__fold_steps(initial, steps, accumulator, step_number, step) -%}
    list_reduce(
        range({{ steps }}),
        lambda {{ accumulator }}, {{ step_number }}: {{ step }},
        {{ initial }}
    )
{%- endmacro %}

{% macro spark__fold_steps(initial, steps, accumulator, step_number, step) -%}
    aggregate(
        sequence(0, {{ steps - 1 }}),
        {{ initial }},
        ({{ accumulator }}, {{ step_number }}) -> {{ step }}
    )
{%- endmacro %}

{#- `expression` of each `element` of a list, as a list. -#}
{% macro list_map(list, element, expression) -%}
    {{ return(adapter.dispatch('list_map', 'smesurvey')(list, element, expression)) }}
{%- endmacro %}

{% macro default__list_map(list, element, expression) -%}
    list_transform({{ list }}, lambda {{ element }}: {{ expression }})
{%- endmacro %}

{% macro spark__list_map(list, element, expression) -%}
    transform({{ list }}, {{ element }} -> {{ expression }})
{%- endmacro %}

{#- The sum of the double `value` over the `element`s of a list meeting `condition`
    (in list order; null when none does). -#}
{% macro list_sum_where(list, element, condition, value) -%}
    {{ return(adapter.dispatch('list_sum_where', 'smesurvey')(list, element, condition, value)) }}
{%- endmacro %}

{% macro default__list_sum_where(list, element, condition, value) -%}
    list_sum(list_transform(
        list_filter({{ list }}, lambda {{ element }}: {{ condition }}),
        lambda {{ element }}: {{ value }}
    ))
{%- endmacro %}

{% macro spark__list_sum_where(list, element, condition, value) -%}
    aggregate(
        filter({{ list }}, {{ element }} -> {{ condition }}),
        cast(null as double),
        (running_sum, {{ element }}) -> coalesce(running_sum, 0D) + {{ value }}
    )
{%- endmacro %}
