-- The funnel per crawl partition and filter recipe: pages -> documents -> kept by the recipe -> unique after
-- deduplication -> rated -> selected by at least one mixture manifest.
with pages as (

    select crawl_file, count(*) as pages
    from {{ ref('stg_raw_pages') }}
    group by 1

),

documents as (

    select crawl_file, count(*) as documents
    from {{ ref('stg_documents') }}
    group by 1

),

verdicts as (

    select * from {{ ref('stg_filter_verdicts') }}

),

deduplicated as (

    select * from {{ ref('stg_deduplicated_documents') }}

),

ratings as (

    select doc_id from {{ ref('stg_quality_ratings') }}

),

selected as (

    select distinct doc_id from {{ ref('stg_mixture_manifests') }}

),

kept_per_recipe as (

    select recipe, crawl_file, count(*) filter (where kept) as kept
    from verdicts
    group by 1, 2

),

unique_per_recipe as (

    select
        deduplicated.recipe,
        deduplicated.crawl_file,
        count(*) as unique_documents,
        count(ratings.doc_id) as rated,
        count(selected.doc_id) as selected
    from deduplicated
    left join ratings using (doc_id)
    left join selected using (doc_id)
    group by 1, 2

),

funnel as (

    select
        kept_per_recipe.crawl_file,
        kept_per_recipe.recipe,
        coalesce(pages.pages, 0) as pages,
        coalesce(documents.documents, 0) as documents,
        kept_per_recipe.kept,
        coalesce(unique_per_recipe.unique_documents, 0) as unique_documents,
        coalesce(unique_per_recipe.rated, 0) as rated,
        coalesce(unique_per_recipe.selected, 0) as selected,
        round(kept_per_recipe.kept / nullif(documents.documents, 0), 4) as kept_rate,
        round(coalesce(unique_per_recipe.selected, 0) / nullif(pages.pages, 0), 4) as selected_per_page
    from kept_per_recipe
    left join pages using (crawl_file)
    left join documents using (crawl_file)
    left join unique_per_recipe using (recipe, crawl_file)

)

select * from funnel
