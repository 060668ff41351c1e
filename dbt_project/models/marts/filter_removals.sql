-- Removals per filter recipe, crawl partition, filter and reason, counted two ways: `removed` charges each
-- rejected document to the first filter that rejects it (pipeline order, as datatrove's stats), `failing`
-- counts every document that fails the filter whatever ran before it.
with verdicts as (

    select * from {{ ref('stg_filter_verdicts') }}

),

failures as (

    select * from {{ ref('stg_filter_failures') }}

),

documents_per_recipe as (

    select recipe, crawl_file, count(*) as documents
    from verdicts
    group by 1, 2

),

first_rejections as (

    select recipe, crawl_file, rejected_by as filter, rejection_reason as reason, count(*) as removed
    from verdicts
    where not kept
    group by 1, 2, 3, 4

),

all_failures as (

    select recipe, crawl_file, filter, reason, count(*) as failing
    from failures
    group by 1, 2, 3, 4

),

removals as (

    select
        recipe,
        crawl_file,
        filter,
        reason,
        coalesce(first_rejections.removed, 0) as removed,
        coalesce(all_failures.failing, 0) as failing,
        documents_per_recipe.documents,
        round(coalesce(first_rejections.removed, 0) / documents_per_recipe.documents, 4) as removed_rate
    from all_failures
    full outer join first_rejections using (recipe, crawl_file, filter, reason)
    join documents_per_recipe using (recipe, crawl_file)

)

select * from removals
