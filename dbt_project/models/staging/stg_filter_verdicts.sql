-- A table, not a view: the per-recipe views it reads re-run every filter's SQL on each read, and the marts
-- and data tests read this several times.
{{ config(materialized='table') }}

-- Every filter recipe's verdict per document (the `filtered_documents.<recipe>__verdicts` views, found in the
-- lake at run time): kept or not, and the first filter that rejected it as `filter:reason`.
with verdicts as (

    {{ union_lake_relations(
        'filtered_documents',
        {'doc_id': 'varchar', 'crawl_file': 'varchar', 'language': 'varchar', 'reason': 'varchar', 'kept': 'boolean'},
        suffix='__verdicts'
    ) }}

),

split as (

    select
        recipe,
        doc_id,
        crawl_file,
        language,
        kept,
        reason as rejection,
        nullif(split_part(reason, ':', 1), '') as rejected_by,
        nullif(split_part(reason, ':', 2), '') as rejection_reason
    from verdicts

)

select * from split
