-- Every mixture recipe's manifest (the `mixture_manifests.<recipe>` tables, found at run time): selected
-- documents with their repeats per phase.
with manifests as (

    {{ union_lake_relations(
        'mixture_manifests',
        {'doc_id': 'varchar', 'phase': 'varchar', 'stream': 'varchar', 'repeats': 'integer', 'tokens': 'bigint',
         'domain': 'varchar', 'language': 'varchar', 'source': 'varchar', 'cluster_size': 'bigint'}
    ) }}

)

select * from manifests
