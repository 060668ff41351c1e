-- Languages per crawl partition (lid.176 labels of every document), with their share of the partition.
with documents as (

    select * from {{ ref('stg_documents') }}

),

per_language as (

    select
        crawl_file,
        language,
        count(*) as documents,
        sum(word_count) as words,
        round(avg(language_score), 4) as mean_language_score
    from documents
    group by 1, 2

),

shares as (

    select
        *,
        round(documents / sum(documents) over (partition by crawl_file), 4) as share_of_partition,
        rank() over (partition by crawl_file order by documents desc) as rank_in_partition
    from per_language

)

select * from shares
