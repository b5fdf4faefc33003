{#- Steps of the calibration's fixed-point iterations, on a list of cell structs
    (macros/engine.sql: fold_steps). `fields`: the cells' [name, expression] pairs. -#}

{#- One IPF step (int_weighting_cells): every cell_total scaled so that the cells of
    each `margin` (raking_section or raking_size) sum to its `population` field. -#}
{% macro ipf_rescaled(cells, fields, margin, population) -%}
    {%- set rescaled = [] -%}
    {%- for name, _ in fields -%}
        {%- if name == 'cell_total' -%}
            {%- do rescaled.append((name, 'cell.cell_total * cell.' ~ population ~ ' / '
                ~ list_sum_where(cells, 'other', 'other.' ~ margin ~ ' = cell.' ~ margin,
                    'other.cell_total'))) -%}
        {%- else -%}
            {%- do rescaled.append((name, 'cell.' ~ name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ list_map(cells, 'cell', struct_of(rescaled)) }}
{%- endmacro %}

{#- One backfitting sweep (int_indicator_sums): the effect of `factor` (factor_a or
    factor_b) of every cell set to the cell-size-weighted mean, over the cells of its
    level, of the unit sums less the other factor's effect. -#}
{% macro backfit_swept(cells, fields, factor, effect, other_effect) -%}
    {%- set swept = [] -%}
    {%- for name, _ in fields -%}
        {%- if name == effect -%}
            {%- set same_level = 'other.' ~ factor ~ ' = cell.' ~ factor -%}
            {%- do swept.append((name,
                list_sum_where(cells, 'other', same_level,
                    'other.unit - other.cell_n * other.' ~ other_effect)
                ~ ' / ' ~ list_sum_where(cells, 'other', same_level, 'other.cell_n'))) -%}
        {%- else -%}
            {%- do swept.append((name, 'cell.' ~ name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ list_map(cells, 'cell', struct_of(swept)) }}
{%- endmacro %}
