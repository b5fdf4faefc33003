{#-
    The post-stratification cells of each zone-wave: one row per original cell
    (industry section x size class of the register or of a respondent) with the
    final weighting cell it is collapsed into and why. int_response_weights
    weights each response by its final cell; fct_weighting_cells reports them.

    Rules (threshold m = var min_cell_respondents; a cell is "usable" when it has
    at least m respondents and a register population > 0), per zone-wave:
    1. Register: the zone's register of the same wave, else its latest earlier one
       (register_wave_id says which). No register at all: every respondent goes to
       the cell `_no_register` and keeps a null weight.
    2. Sections: a section with fewer than m respondents, no register population,
       or an unknown section (A5 missing) goes to the zone's `_pooled` cell.
    3. A section with any respondent of unknown size class (`_unknown`) is one
       cell `<section>`: such a respondent may be of any size, and only the whole
       section's population certainly contains it.
    4. Otherwise its size classes are walked in size order (micro, small, medium,
       large) and grouped greedily: a group closes as soon as it is usable; a last
       group left unusable joins the group before it. So a thin cell, a register
       cell nobody answered from and a cell with respondents but no register
       population are always merged with the adjacent size class(es) of the same
       industry: `<section>:<class>` or `<section>:<first class>-<last class>`.
    5. An unusable `_pooled` cell joins the zone-wave's cell with the closest
       response rate n/N (ties: more respondents, then name); with no register
       population (N = 0, rate undefined) the cell with the most respondents.
       Merging cells of similar response rate keeps the bias of collapsing least
       (the collapsed weight is right when the merged cells' response rates are
       equal; Kalton & Flores-Cervantes 2003).
    A final cell that is still unusable (a zone-wave whose whole register is empty,
    or with fewer than m respondents in all) keeps its cell; int_response_weights
    gives it a weight only when it has both respondents and population, else null.
    Never a weight of 0: every register population is covered by some cell with
    respondents whenever the zone-wave has a usable cell, so weights sum to the
    register total.

    Calibration (docs/methodology.md#calibration): every zone-wave is also raked
    to its register's section and size margins (merged below var
    raking_min_margin_respondents) by iterative proportional fitting on the cell
    table, var raking_iterations sweeps folded over one list of cells per zone-wave
    (macros/calibration.sql); raking_outcome says whether the
    register supports it (raked: converged within var raking_tolerance and every
    g in [var raking_g_min, var raking_g_max]) and weighting_method which method
    weights the zone-wave (post-stratification, the cells above, otherwise).

    Incremental by zone-wave (macros/zone_waves.sql): it reads the zone-wave's
    staged questionnaires (one per enterprise: questionnaire_rank = 1).
-#}
{{ zone_wave_incremental_config() }}
{%- set min_n = var('min_cell_respondents') -%}
{%- set to_build = zone_waves_to_build() -%}
{%- set ranks = [1, 2, 3, 4] -%}
{%- set raking_iterations = var('raking_iterations') | int -%}
{%- set min_rake = var('raking_min_margin_respondents') -%}
{%- set ipf_fields = [
    ('industry_section', 'industry_section'),
    ('size_class', 'size_class'),
    ('raking_section', 'raking_section'),
    ('raking_size', 'raking_size'),
    ('n_respondents', 'cast(n_respondents as double)'),
    ('section_population', 'cast(section_population as double)'),
    ('size_population', 'cast(size_population as double)'),
    ('cell_total', 'cast(design_weight * n_respondents as double)'),
] -%}

{% if to_build == [] -%}
-- nothing to rebuild: no rows, the table's own columns
select * from {{ this }} where false
{%- else -%}
with

stamps as (

    select * from {{ ref('int_zone_wave_stamps') }}

),

size_classes as (

    select
        size_class,
        class_rank
    from {{ ref('cb_size_classes') }}

),

responses as (

    select
        delivery_id,
        zone_id,
        wave_id,
        coalesce(a5_industry_section, '_unknown') as industry_section,
        coalesce(size_class, '_unknown') as size_class
    from {{ ref('int_responses_classified') }}
    where
        {{ delivery_filter('delivery_id', to_build) }}
        -- one questionnaire per enterprise and wave (macro latest_questionnaire_first)
        and questionnaire_rank = 1

),

register as (

    select * from {{ ref('stg_survey__zone_register') }}

),

zone_waves as (

    select distinct
        delivery_id,
        zone_id,
        wave_id
    from responses

),

-- the register of the same wave, else the zone's latest earlier one
register_choice as (

    select
        zone_waves.zone_id,
        zone_waves.wave_id,
        max(register.wave_id) as register_wave_id
    from zone_waves
    inner join register
        on
            zone_waves.zone_id = register.zone_id
            and zone_waves.wave_id >= register.wave_id
    group by zone_waves.zone_id, zone_waves.wave_id

),

population as (

    select
        register_choice.zone_id,
        register_choice.wave_id,
        register.industry_section,
        register.size_class,
        register.n_enterprises
    from register_choice
    inner join register
        on
            register_choice.zone_id = register.zone_id
            and register_choice.register_wave_id = register.wave_id

),

sample as (

    select
        zone_id,
        wave_id,
        industry_section,
        size_class,
        count(*) as n_respondents
    from responses
    group by zone_id, wave_id, industry_section, size_class

),

cells as (

    select
        coalesce(population.zone_id, sample.zone_id) as zone_id,
        coalesce(population.wave_id, sample.wave_id) as wave_id,
        coalesce(population.industry_section, sample.industry_section) as industry_section,
        coalesce(population.size_class, sample.size_class) as size_class,
        coalesce(population.n_enterprises, 0) as n_population,
        coalesce(sample.n_respondents, 0) as n_respondents
    from population
    full outer join sample
        on
            population.zone_id = sample.zone_id
            and population.wave_id = sample.wave_id
            and population.industry_section = sample.industry_section
            and population.size_class = sample.size_class

),

with_register as (

    select
        cells.*,
        register_choice.register_wave_id,
        size_classes.class_rank
    from cells
    left join register_choice
        on
            cells.zone_id = register_choice.zone_id
            and cells.wave_id = register_choice.wave_id
    left join size_classes
        on cells.size_class = size_classes.size_class

),

-- calibration: raking to the register's section and size margins (docs/methodology.md#calibration).
-- Every raking CTE reads only the one before it (totals by window functions, no
-- join back): Spark plans a CTE once per reader, and a fan of readers made this
-- model more than its analyzer could plan.
-- raking margins: a section with fewer than m_r respondents (var
-- raking_min_margin_respondents) or no register population joins the zone-wave's
-- `_pooled` section margin; a pool still below m_r joins the section with the most
-- respondents (then name)
raking_section_totals as (

    select
        with_register.*,
        sum(n_population) over (partition by zone_id, wave_id, industry_section)
            as section_population_0,
        sum(n_respondents) over (partition by zone_id, wave_id, industry_section)
            as section_respondents_0
    from with_register
    where register_wave_id is not null

),

raking_first_sections as (

    select
        raking_section_totals.*,
        case
            when section_respondents_0 >= {{ min_rake }} and section_population_0 > 0
                then industry_section
            else '_pooled'
        end as first_section
    from raking_section_totals

),

raking_pools as (

    select
        raking_first_sections.*,
        sum(case when first_section = '_pooled' then n_respondents else 0 end)
            over (partition by zone_id, wave_id) as pool_respondents,
        sum(case when first_section = '_pooled' then n_population else 0 end)
            over (partition by zone_id, wave_id) as pool_population,
        first_value(case when first_section != '_pooled' then industry_section end) over (
            partition by zone_id, wave_id
            order by
                case when first_section = '_pooled' then 1 else 0 end asc,
                section_respondents_0 desc,
                industry_section asc
            rows between unbounded preceding and unbounded following
        ) as pool_target
    from raking_first_sections

),

-- size margins: walked from large to micro, a group closes once it has m_r
-- respondents and a population; a last group short of it joins the one before
-- (adjacent size classes, as for the cells)
raking_size_totals as (

    select
        raking_pools.*,
        {% for k in ranks %}
        sum(case when class_rank = {{ k }} then n_respondents else 0 end)
            over (partition by zone_id, wave_id) as n_{{ k }},
        sum(case when class_rank = {{ k }} then n_population else 0 end)
            over (partition by zone_id, wave_id) as pop_{{ k }},
        {% endfor %}
        case
            when
                first_section = '_pooled'
                and not (pool_respondents >= {{ min_rake }} and pool_population > 0)
                and pool_target is not null
                then pool_target
            else first_section
        end as raking_section
    from raking_pools

),

rake_walk_4 as (

    select
        raking_size_totals.*,
        1 as g_4,
        n_4 as acc_n_4,
        pop_4 as acc_pop_4
    from raking_size_totals

),
{% for k in [3, 2, 1] %}
{%- set j = k + 1 %}

rake_walk_{{ k }} as (

    select
        rake_walk_{{ j }}.*,
        g_{{ j }} + case
            when acc_n_{{ j }} >= {{ min_rake }} and acc_pop_{{ j }} > 0 then 1 else 0
        end as g_{{ k }},
        case
            when acc_n_{{ j }} >= {{ min_rake }} and acc_pop_{{ j }} > 0 then n_{{ k }}
            else acc_n_{{ j }} + n_{{ k }}
        end as acc_n_{{ k }},
        case
            when acc_n_{{ j }} >= {{ min_rake }} and acc_pop_{{ j }} > 0 then pop_{{ k }}
            else acc_pop_{{ j }} + pop_{{ k }}
        end as acc_pop_{{ k }}
    from rake_walk_{{ j }}

),
{% endfor %}

-- every original cell's size group (the last short group joins the one before)
raking_groups as (

    select
        rake_walk_1.*,
        case
            {% for k in ranks %}
            when
                class_rank = {{ k }} and g_{{ k }} = g_1 and g_1 > 1
                and not (acc_n_1 >= {{ min_rake }} and acc_pop_1 > 0)
                then g_1 - 1
            when class_rank = {{ k }} then g_{{ k }}
            {% endfor %}
        end as size_group
    from rake_walk_1

),

raking_size_bounds as (

    select
        raking_groups.*,
        min(class_rank) over (partition by zone_id, wave_id, size_group) as first_rank,
        max(class_rank) over (partition by zone_id, wave_id, size_group) as last_rank
    from raking_groups

),

-- every original cell's raking cell: (raking section, size group); a size group is
-- named by its classes, smallest to largest
raking_members as (

    select
        raking_size_bounds.zone_id,
        raking_size_bounds.wave_id,
        raking_size_bounds.industry_section,
        raking_size_bounds.size_class,
        raking_size_bounds.class_rank,
        raking_size_bounds.n_population,
        raking_size_bounds.n_respondents,
        raking_size_bounds.raking_section,
        case
            when raking_size_bounds.class_rank is null then '_unknown'
            when raking_size_bounds.first_rank = raking_size_bounds.last_rank
                then first_class.size_class
            else first_class.size_class || '-' || last_class.size_class
        end as raking_size
    from raking_size_bounds
    left join size_classes as first_class
        on raking_size_bounds.first_rank = first_class.class_rank
    left join size_classes as last_class
        on raking_size_bounds.last_rank = last_class.class_rank

),

-- every original cell with its margins' and its zone-wave's totals
raking_member_totals as (

    select
        raking_members.*,
        sum(n_population) over (partition by zone_id, wave_id, raking_section)
            as section_population,
        sum(n_respondents) over (partition by zone_id, wave_id, raking_section)
            as section_respondents,
        sum(n_population) over (partition by zone_id, wave_id, raking_size)
            as size_population,
        sum(n_respondents) over (partition by zone_id, wave_id, raking_size)
            as size_respondents,
        sum(n_population) over (partition by zone_id, wave_id) as zone_population,
        sum(n_respondents) over (partition by zone_id, wave_id) as zone_respondents,
        sum(
            case
                when class_rank is null and (n_population > 0 or n_respondents > 0) then 1
                else 0
            end
        ) over (partition by zone_id, wave_id) as n_unknown_cells
    from raking_members

),

-- a margin with population but no respondent (or respondents but no population)
-- cannot be raked to
raking_member_checks as (

    select
        raking_member_totals.*,
        {{ safe_ratio('zone_population', 'zone_respondents') }} as design_weight,
        max(
            case
                when
                    (section_population > 0) != (section_respondents > 0)
                    or (size_population > 0) != (size_respondents > 0)
                    then 1
                else 0
            end
        ) over (partition by zone_id, wave_id) as n_empty_margins
    from raking_member_totals

),

raking_blockers as (

    select
        raking_member_checks.*,
        case
            when n_unknown_cells > 0 then 'unknown_cell'
            when n_empty_margins > 0 or zone_population = 0 or zone_respondents = 0
                then 'empty_margin'
        end as raking_blocker
    from raking_member_checks

),

-- iterative proportional fitting on the original cells: the design weight is
-- constant within the zone-wave and every step scales all cells of a margin alike,
-- so a raked weight depends only on the (section, size) raking cell;
-- cell_total = the raked weight total of the cell's respondents. One list of cells
-- per zone-wave, raked by one fold of 2 x raking_iterations steps (even: to the
-- section margins, odd: to the size margins; macros/calibration.sql), unless a
-- blocker leaves the zone-wave unraked
ipf_lists as (

    select
        zone_id,
        wave_id,
        design_weight,
        raking_blocker,
        {{ sorted_struct_list(struct_of(ipf_fields)) }} as cells
    from raking_blockers
    group by zone_id, wave_id, design_weight, raking_blocker

),

ipf_raked as (

    select
        zone_id,
        wave_id,
        design_weight,
        raking_blocker,
        -- sqlfluff's DuckDB dialect cannot parse a lambda of two parameters
        -- noqa: disable=PRS,LT02
        case
            when raking_blocker is null
                then {{ fold_steps('cells', 2 * raking_iterations, 'ipf', 'ipf_step',
                    'case when ipf_step % 2 = 0 then '
                    ~ ipf_rescaled('ipf', ipf_fields, 'raking_section', 'section_population')
                    ~ ' else '
                    ~ ipf_rescaled('ipf', ipf_fields, 'raking_size', 'size_population')
                    ~ ' end'
                ) }}
            else cells
        end as cells
    from ipf_lists
    -- noqa: enable=PRS,LT02

),

ipf_cells as (

    select
        zone_id,
        wave_id,
        design_weight,
        raking_blocker,
        {{ unnest_list('cells') }} as cell
    from ipf_raked

),

-- after the last size step: each raking cell's weight, and the relative errors
-- left on the margins
raking_cells as (

    select
        zone_id,
        wave_id,
        design_weight,
        raking_blocker,
        cell.industry_section,
        cell.size_class,
        cell.raking_section,
        cell.raking_size,
        sum(cell.cell_total)
            over (partition by zone_id, wave_id, cell.raking_section, cell.raking_size)
            as raking_total,
        sum(cell.n_respondents)
            over (partition by zone_id, wave_id, cell.raking_section, cell.raking_size)
            as raking_respondents,
        {{ safe_ratio(
            'abs(sum(cell.cell_total) over (partition by zone_id, wave_id, cell.raking_section)'
            ~ ' - cell.section_population)',
            'cell.section_population'
        ) }} as section_error,
        {{ safe_ratio(
            'abs(sum(cell.cell_total) over (partition by zone_id, wave_id, cell.raking_size)'
            ~ ' - cell.size_population)',
            'cell.size_population'
        ) }} as size_error
    from ipf_cells

),

raking_weights as (

    select
        raking_cells.*,
        {{ safe_ratio('raking_total', 'raking_respondents') }} as raking_weight,
        {{ safe_ratio('raking_total', 'raking_respondents') }} / design_weight as raking_g
    from raking_cells

),

-- the zone-wave's worst fit (over raking cells with respondents)
raking_fits as (

    select
        raking_weights.*,
        max(
            case when raking_blocker is null then greatest(section_error, size_error) end
        ) over (partition by zone_id, wave_id) as raking_max_margin_error,
        min(raking_g) over (partition by zone_id, wave_id) as raking_g_min,
        max(raking_g) over (partition by zone_id, wave_id) as raking_g_max
    from raking_weights

),

-- the method of each zone-wave: raking where the register supports it (known
-- sections and sizes, no empty margin), IPF converged and g within the bounds;
-- else post-stratification (rules below)
raking_outcomes as (

    select
        raking_fits.*,
        case
            when raking_blocker is not null then raking_blocker
            when not raking_max_margin_error <= {{ var('raking_tolerance') }}
                then 'not_converged'
            when
                raking_g_min < {{ var('raking_g_min') }}
                or raking_g_max > {{ var('raking_g_max') }}
                then 'g_out_of_bounds'
            else 'raked'
        end as raking_outcome
    from raking_fits

),

-- rules 2 and 3: what becomes of each section as a whole
sections as (

    select
        zone_id,
        wave_id,
        industry_section,
        sum(n_respondents) as n_section,
        sum(n_population) as population_section,
        {% for k in ranks %}
        sum(case when class_rank = {{ k }} then n_respondents else 0 end) as n_{{ k }},
        sum(case when class_rank = {{ k }} then n_population else 0 end) as pop_{{ k }},
        {% endfor %}
        case
            when industry_section = '_unknown' then 'unknown_section'
            when sum(n_population) = 0 then 'no_register_population'
            when sum(n_respondents) < {{ min_n }} then 'thin_section'
            -- (a register row of no known size class is handled the same way)
            when sum(case when class_rank is null then 1 else 0 end) > 0 then 'unknown_size'
        end as section_outcome
    from with_register
    where register_wave_id is not null
    group by zone_id, wave_id, industry_section

),

-- rule 4, unrolled over the four size classes: g_k is the group of class k,
-- acc_n_k / acc_pop_k the respondents / population of that group so far
walk_1 as (

    select
        sections.*,
        1 as g_1,
        n_1 as acc_n_1,
        pop_1 as acc_pop_1
    from sections

),
{% for k in ranks[1:] %}
{%- set j = k - 1 %}

walk_{{ k }} as (

    select
        walk_{{ j }}.*,
        g_{{ j }} + case
            when acc_n_{{ j }} >= {{ min_n }} and acc_pop_{{ j }} > 0 then 1 else 0
        end as g_{{ k }},
        case
            when acc_n_{{ j }} >= {{ min_n }} and acc_pop_{{ j }} > 0 then n_{{ k }}
            else acc_n_{{ j }} + n_{{ k }}
        end as acc_n_{{ k }},
        case
            when acc_n_{{ j }} >= {{ min_n }} and acc_pop_{{ j }} > 0 then pop_{{ k }}
            else acc_pop_{{ j }} + pop_{{ k }}
        end as acc_pop_{{ k }}
    from walk_{{ j }}

),
{% endfor %}

-- an unusable last group joins the group before it
section_groups as (

    select
        zone_id,
        wave_id,
        industry_section,
        {% for k in ranks %}
        case
            when
                g_{{ k }} = g_4 and g_4 > 1
                and not (acc_n_4 >= {{ min_n }} and acc_pop_4 > 0)
                then g_4 - 1
            else g_{{ k }}
        end as group_{{ k }},
        {% endfor %}
        section_outcome
    from walk_4

),

grouped as (

    select
        with_register.*,
        section_groups.section_outcome,
        case with_register.class_rank
            {% for k in ranks %}
            when {{ k }} then section_groups.group_{{ k }}
            {% endfor %}
        end as size_group
    from with_register
    left join section_groups
        on
            with_register.zone_id = section_groups.zone_id
            and with_register.wave_id = section_groups.wave_id
            and with_register.industry_section = section_groups.industry_section

),

group_bounds as (

    select
        grouped.*,
        min(class_rank) over (
            partition by zone_id, wave_id, industry_section, section_outcome, size_group
        ) as first_rank,
        max(class_rank) over (
            partition by zone_id, wave_id, industry_section, section_outcome, size_group
        ) as last_rank,
        sum(n_respondents) over (
            partition by zone_id, wave_id, industry_section, section_outcome, size_group
        ) as n_group
    from grouped

),

-- the cell before rule 5
first_cells as (

    select
        group_bounds.zone_id,
        group_bounds.wave_id,
        group_bounds.register_wave_id,
        group_bounds.industry_section,
        group_bounds.size_class,
        group_bounds.n_population,
        group_bounds.n_respondents,
        case
            when group_bounds.register_wave_id is null then '_no_register'
            when group_bounds.section_outcome = 'unknown_size' then group_bounds.industry_section
            when group_bounds.section_outcome is not null then '_pooled'
            when group_bounds.first_rank = group_bounds.last_rank
                then group_bounds.industry_section || ':' || first_class.size_class
            else
                group_bounds.industry_section || ':' || first_class.size_class
                || '-' || last_class.size_class
        end as weighting_cell,
        case
            when group_bounds.register_wave_id is null then 'no_register'
            when group_bounds.section_outcome is not null then group_bounds.section_outcome
            when group_bounds.first_rank = group_bounds.last_rank then 'none'
            when group_bounds.n_respondents > 0 and group_bounds.n_population = 0
                then 'no_register_population'
            when group_bounds.n_respondents < {{ min_n }} then 'thin_cell'
            else 'thin_neighbour'
        end as collapse_reason
    from group_bounds
    left join size_classes as first_class
        on group_bounds.first_rank = first_class.class_rank
    left join size_classes as last_class
        on group_bounds.last_rank = last_class.class_rank

),

first_totals as (

    select
        zone_id,
        wave_id,
        weighting_cell,
        sum(n_respondents) as n_cell,
        sum(n_population) as population_cell,
        {{ safe_ratio('sum(n_respondents)', 'sum(n_population)') }} as response_rate
    from first_cells
    group by zone_id, wave_id, weighting_cell

),

thin_pools as (

    select
        zone_id,
        wave_id,
        n_cell as n_pool,
        response_rate as pool_response_rate
    from first_totals
    where
        weighting_cell = '_pooled'
        and not (n_cell >= {{ min_n }} and population_cell > 0)

),

-- rule 5: the usable cell with the closest response rate takes the thin pool
pool_targets as (

    select
        thin_pools.zone_id,
        thin_pools.wave_id,
        first_totals.weighting_cell as target_cell,
        row_number() over (
            partition by thin_pools.zone_id, thin_pools.wave_id
            -- null (no pool population): no rate to compare, most respondents first
            order by
                abs(thin_pools.pool_response_rate - first_totals.response_rate) asc nulls last,
                first_totals.n_cell desc,
                first_totals.weighting_cell asc
        ) as target_order
    from thin_pools
    inner join first_totals
        on
            thin_pools.zone_id = first_totals.zone_id
            and thin_pools.wave_id = first_totals.wave_id
    where
        first_totals.weighting_cell not in ('_pooled', '_no_register')
        and first_totals.n_cell >= {{ min_n }}
        and first_totals.population_cell > 0

),

final as (

    select
        first_cells.zone_id,
        first_cells.wave_id,
        zone_waves.delivery_id,
        first_cells.register_wave_id,
        first_cells.industry_section,
        first_cells.size_class,
        first_cells.n_respondents,
        first_cells.n_population,
        case
            when first_cells.weighting_cell = '_pooled' and pool_targets.target_cell is not null
                then pool_targets.target_cell
            else first_cells.weighting_cell
        end as weighting_cell,
        case
            when first_cells.weighting_cell = '_pooled' and pool_targets.target_cell is not null
                then first_cells.collapse_reason || '+thin_pool'
            else first_cells.collapse_reason
        end as collapse_reason,
        coalesce(raking_outcomes.raking_outcome, 'no_register') as raking_outcome,
        case
            when
                raking_outcomes.raking_outcome = 'raked'
                and '{{ var('weighting_method_of_record') }}' = 'raking'
                then 'raking'
            else 'post_stratification'
        end as weighting_method,
        raking_outcomes.raking_max_margin_error,
        raking_outcomes.raking_section,
        raking_outcomes.raking_size,
        case when raking_outcomes.raking_outcome = 'raked' then raking_outcomes.raking_weight end
            as raking_weight,
        case when raking_outcomes.raking_outcome = 'raked' then raking_outcomes.raking_g end
            as raking_g,
        {{ model_stamp('stamps.zone_wave_stamp') }} as zone_wave_stamp,
        '{{ invocation_id }}' as built_by
    from first_cells
    inner join zone_waves
        on
            first_cells.zone_id = zone_waves.zone_id
            and first_cells.wave_id = zone_waves.wave_id
    left join pool_targets
        on
            first_cells.zone_id = pool_targets.zone_id
            and first_cells.wave_id = pool_targets.wave_id
            and pool_targets.target_order = 1
    left join raking_outcomes
        on
            first_cells.zone_id = raking_outcomes.zone_id
            and first_cells.wave_id = raking_outcomes.wave_id
            and first_cells.industry_section = raking_outcomes.industry_section
            and first_cells.size_class = raking_outcomes.size_class
    inner join stamps
        on zone_waves.delivery_id = stamps.delivery_id

)

select * from final
{%- endif %}
