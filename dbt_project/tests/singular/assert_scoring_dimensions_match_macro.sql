{#- The maturity dimensions in seed scoring_elements are exactly dma_dimensions()
    (fct_enterprise_wave pivots on that list). -#}
{%- set dims = dma_dimensions() -%}
with

seeded as (

    select distinct dimension
    from {{ ref('scoring_elements') }}
    where measure = 'dma'

),

expected as (
    {%- for dim in dims %}
    select '{{ dim }}' as dimension{{ " union all" if not loop.last }}
    {%- endfor %}
)

select seeded.dimension
from seeded
where seeded.dimension not in (select expected.dimension from expected)
union all
select expected.dimension
from expected
where expected.dimension not in (select seeded.dimension from seeded)
