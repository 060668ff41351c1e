-- What each filter recipe keeps of each language, before and after deduplication.
with verdicts as (

    select * from {{ ref('stg_filter_verdicts') }}

),

deduplicated as (

    select * from {{ ref('stg_deduplicated_documents') }}

),

kept as (

    select recipe, language, count(*) as documents, count(*) filter (where kept) as kept
    from verdicts
    group by 1, 2

),

unique_documents as (

    select recipe, language, count(*) as unique_documents
    from deduplicated
    group by 1, 2

),

languages as (

    select
        recipe,
        language,
        kept.documents,
        kept.kept,
        coalesce(unique_documents.unique_documents, 0) as unique_documents,
        round(kept.kept / kept.documents, 4) as kept_rate,
        round(
            coalesce(unique_documents.unique_documents, 0)
            / nullif(sum(coalesce(unique_documents.unique_documents, 0)) over (partition by recipe), 0),
            4
        ) as share_of_corpus
    from kept
    left join unique_documents using (recipe, language)

)

select * from languages
