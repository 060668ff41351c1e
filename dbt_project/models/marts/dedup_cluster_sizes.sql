-- How many duplicate clusters of each size, with FineWeb2's rehydration buckets (1, 2-3, 4, 5-99, 100-999, 1000+).
with clusters as (

    select * from {{ ref('stg_dedup_clusters') }}

),

per_cluster as (

    select cluster_id, any_value(cluster_size) as cluster_size, count(*) as members, any_value(match_kind) filter (where match_kind <> 'unique') as match_kind
    from clusters
    group by 1

),

per_size as (

    select
        cluster_size,
        case
            when cluster_size = 1 then '1'
            when cluster_size <= 3 then '2-3'
            when cluster_size = 4 then '4'
            when cluster_size <= 99 then '5-99'
            when cluster_size <= 999 then '100-999'
            else '1000+'
        end as size_bucket,
        count(*) as clusters,
        sum(members) as documents,
        sum(members) - count(*) as duplicates,
        count(*) filter (where match_kind = 'exact') as exact_clusters,
        count(*) filter (where match_kind = 'fuzzy') as fuzzy_clusters
    from per_cluster
    group by 1, 2

),

shares as (

    select *, round(documents / sum(documents) over (), 4) as share_of_documents
    from per_size

)

select * from shares
