{#-
    One row per staged questionnaire (stg_survey__responses), classified: v2022
    answers also harmonized onto v2020 codes (`<item>_v2020`), the derived
    attributes every indicator and weight needs (report size bands, MIIT size
    class, industry group) and the questionnaire's rank among its enterprise's
    questionnaires of the delivery (the duplicate rule). The indicator rules
    (macros/indicators.sql) and the staged responses suite read these columns.
    Incremental by zone-wave (macros/zone_waves.sql), like its readers: as a view,
    each of the five models and the suite reading a zone-wave classified and
    ranked its rows again (docs/benchmarks.md, Diagnosis: 1M x 1). The rank is
    within a delivery, so a zone-wave's rows never depend on another's.
-#}
{{ zone_wave_incremental_config() }}
{%- set to_build = zone_waves_to_build() -%}
{%- set harmonized = codebook_harmonized_columns() -%}

{% if to_build == [] -%}
-- nothing to rebuild: no rows, the table's own columns
select * from {{ this }} where false
{%- else -%}
with

stamps as (

    select * from {{ ref('int_zone_wave_stamps') }}

),

-- inlined where it is read (macro not_materialized), so the deliveries' filter
-- reaches the staged rows' scan
responses as {{ not_materialized() }} (

    select * from {{ ref('stg_survey__responses') }}
    where {{ delivery_filter('delivery_id', to_build) }}

),

harmonized as (

    select
        {% for h in harmonized %}
        {%- set mapped_versions = "('" ~ h.mapped_versions | join("', '") ~ "')" %}
        case
            when responses.instrument_version not in {{ mapped_versions }}
                then responses.{{ h.target }}
            {% for pair in h.mapping %}
            when responses.{{ h.source }} = '{{ pair[0] }}' then '{{ pair[1] }}'
            {% endfor %}
        end as {{ h.column }},
        (
            responses.instrument_version in {{ mapped_versions }}
            and responses.{{ h.source }} is not null
            and {{ 'true' if h.approximate else 'false' }}
        ) as {{ h.column }}_is_approximate,
        {% endfor %}
        responses.*
    from responses

),

employee_bands as (

    select distinct
        option_code,
        band_min,
        band_max
    from {{ ref('cb_options') }}
    where item_id = 'A8b_employees_band'

),

thresholds as (

    select
        derived_item,
        upper_bound_exclusive
    from {{ ref('report_thresholds') }}

),

size_inputs as (

    select
        harmonized.response_id,
        -- The band gives bounds, not a count: MIIT thresholds use its lower bound
        -- (a bound "holds" only when the whole band meets it), see the YAML.
        coalesce(cast(harmonized.a8_employees as double), employee_bands.band_min)
            as employees_lower,
        coalesce(cast(harmonized.a8_employees as double), employee_bands.band_max)
            as employees_upper,
        employee_bands.band_min as employees_band_min,
        harmonized.a9_revenue as revenue,
        harmonized.a10_assets as assets,
        harmonized.a6_industry_division as industry_division
    from harmonized
    left join employee_bands
        on harmonized.a8b_employees_band = employee_bands.option_code

),

size_class_checks as (

    select
        size_inputs.response_id,
        size_thresholds.class_rank,
        min(
            case
                when
                    (case size_thresholds.measure
                        when 'employees' then size_inputs.employees_lower
                        when 'revenue' then size_inputs.revenue
                        when 'assets' then size_inputs.assets
                    end) >= size_thresholds.lower_bound
                    then 1
                else 0
            end
        ) as all_bounds_hold
    from size_inputs
    inner join {{ ref('cb_size_class_thresholds') }} as size_thresholds
        on size_inputs.industry_division
            between size_thresholds.division_from and size_thresholds.division_to
    group by size_inputs.response_id, size_thresholds.class_rank

),

size_classes as (

    select
        size_inputs.response_id,
        -- highest class all of whose lower bounds hold; micro when none does
        coalesce(max(
            case when size_class_checks.all_bounds_hold = 1 then size_class_checks.class_rank end
        ), 1) as class_rank
    from size_inputs
    left join size_class_checks
        on size_inputs.response_id = size_class_checks.response_id
    where size_inputs.industry_division is not null
    group by size_inputs.response_id

),

industry_matches as (

    select
        harmonized.response_id,
        min(industry_groups.priority) as priority
    from harmonized
    inner join {{ ref('industry_groups') }} as industry_groups
        on harmonized.a5_industry_section = industry_groups.industry_section
            or harmonized.a6_industry_division
            between industry_groups.division_from and industry_groups.division_to
            or (industry_groups.industry_section is null and industry_groups.division_from is null)
    group by harmonized.response_id

),

group_labels as (

    select distinct
        industry_group,
        priority
    from {{ ref('industry_groups') }}

),

employees_cut as (

    select upper_bound_exclusive
    from thresholds
    where derived_item = 'X_employees_lt50'

),

revenue_cut as (

    select upper_bound_exclusive
    from thresholds
    where derived_item = 'X_revenue_lt20m'

),

final as (

    select
        harmonized.*,
        case
            when harmonized.a8_employees is not null
                then harmonized.a8_employees < employees_cut.upper_bound_exclusive
            when size_inputs.employees_upper < employees_cut.upper_bound_exclusive then true
            when size_inputs.employees_band_min >= employees_cut.upper_bound_exclusive then false
        end as employees_lt50,
        harmonized.a9_revenue < revenue_cut.upper_bound_exclusive as revenue_lt20m,
        size_inputs.employees_lower,
        size_inputs.employees_upper,
        harmonized.a8_employees is null and harmonized.a8b_employees_band is not null
            as size_from_employee_band,
        cb_size_classes.size_class,
        group_labels.industry_group,
        coalesce(group_labels.industry_group = 'manufacturing', false) as is_manufacturer,
        -- one questionnaire per enterprise and delivery: 1 = the one every model
        -- reads (rule and why per delivery: macro latest_questionnaire_first)
        case
            when harmonized.enterprise_key is null then 1
            else
                row_number() over (
                    partition by harmonized.delivery_id, harmonized.enterprise_key
                    order by {{ latest_questionnaire_first('harmonized') }}
                )
        end as questionnaire_rank
    from harmonized
    inner join size_inputs
        on harmonized.response_id = size_inputs.response_id
    left join size_classes
        on harmonized.response_id = size_classes.response_id
    left join {{ ref('cb_size_classes') }} as cb_size_classes
        on size_classes.class_rank = cb_size_classes.class_rank
    left join industry_matches
        on harmonized.response_id = industry_matches.response_id
    left join group_labels
        on industry_matches.priority = group_labels.priority
    cross join employees_cut
    cross join revenue_cut

)

select
    final.*,
    {{ model_stamp('stamps.zone_wave_stamp') }} as zone_wave_stamp,
    '{{ invocation_id }}' as built_by
from final
inner join stamps
    on final.delivery_id = stamps.delivery_id
{%- endif %}
