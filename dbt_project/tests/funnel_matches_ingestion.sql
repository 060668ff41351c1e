-- The corpus funnel's pages agree with the ingestion funnel's pages for every crawl partition.
select corpus_funnel.crawl_file, corpus_funnel.pages, ingest_funnel.pages_in_lake
from {{ ref('corpus_funnel') }} as corpus_funnel
join {{ ref('ingest_funnel') }} as ingest_funnel using (crawl_file)
where corpus_funnel.pages <> ingest_funnel.pages_in_lake
