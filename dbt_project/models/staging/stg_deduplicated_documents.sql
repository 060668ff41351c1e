-- A table, not a view: the per-recipe views it reads re-run every filter's SQL on each read, and the marts
-- and data tests read this several times.
{{ config(materialized='table') }}

-- Every filter recipe's deduplicated corpus (the `deduplicated_documents.<recipe>` views, found at run time):
-- one kept document per duplicate cluster.
with deduplicated as (

    {{ union_lake_relations(
        'deduplicated_documents',
        {'doc_id': 'varchar', 'crawl_file': 'varchar', 'language': 'varchar', 'word_count': 'integer',
         'cluster_id': 'varchar', 'cluster_size': 'integer'}
    ) }}

)

select * from deduplicated
