with scans as (

    select * from {{ ref('stg_contamination_scans') }}

),

flagged as (

    select * from {{ ref('stg_contamination') }}

),

-- only rows of the version each partition was last scanned against
current_flags as (

    select flagged.*
    from flagged
    join scans using (crawl_file, benchmark, benchmark_version)

),

per_partition as (

    select
        crawl_file,
        benchmark,
        count(*) as contaminated_documents,
        count(distinct first_item) as items_matched,
        sum(matched_ngrams) as matched_ngrams,
        max(longest_span_words) as longest_span_words,
        median(longest_span_words) as median_span_words
    from current_flags
    group by crawl_file, benchmark

),

final as (

    select
        scans.crawl_file,
        scans.benchmark,
        scans.benchmark_version,
        scans.n_grams,
        scans.documents,
        coalesce(p.contaminated_documents, 0) as contaminated_documents,
        round(coalesce(p.contaminated_documents, 0) / nullif(scans.documents, 0), 4) as contaminated_share,
        coalesce(p.items_matched, 0) as items_matched,
        coalesce(p.matched_ngrams, 0) as matched_ngrams,
        p.longest_span_words,
        p.median_span_words
    from scans
    left join per_partition as p using (crawl_file, benchmark)

)

select * from final
