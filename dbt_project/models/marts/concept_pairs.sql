-- Word pairs that co-occur in documents more than chance predicts, per domain: pointwise mutual information
-- over document co-occurrence, PMI = ln(P(a,b) / (P(a) P(b))), and its normalised form NPMI in [-1, 1].
-- Pairs are formed within each domain's most frequent terms, and need `concept_min_documents` documents.
with document_terms as (

    select * from {{ ref('int_concept_document_terms') }}

),

vocabulary as (

    select *
    from {{ ref('int_concept_term_frequencies') }}
    where term_documents >= {{ var('concept_min_documents') }}
    qualify row_number() over (partition by domain order by term_documents desc, term)
        <= {{ var('concept_vocabulary_per_domain') }}

),

vocabulary_terms as (

    select document_terms.*
    from document_terms
    semi join vocabulary using (domain, term)

),

co_occurrences as (

    select a.domain, a.term as term_a, b.term as term_b, count(*) as pair_documents
    from vocabulary_terms as a
    join vocabulary_terms as b on a.doc_id = b.doc_id and a.term < b.term
    group by 1, 2, 3
    having count(*) >= {{ var('concept_min_documents') }}

),

scored as (

    select
        co_occurrences.domain,
        co_occurrences.term_a,
        co_occurrences.term_b,
        co_occurrences.pair_documents,
        a.term_documents as term_a_documents,
        b.term_documents as term_b_documents,
        a.domain_documents,
        ln(co_occurrences.pair_documents * a.domain_documents / (a.term_documents * b.term_documents)) as pmi_raw,
        a.domain_documents - co_occurrences.pair_documents as documents_without_pair
    from co_occurrences
    join vocabulary as a on a.domain = co_occurrences.domain and a.term = co_occurrences.term_a
    join vocabulary as b on b.domain = co_occurrences.domain and b.term = co_occurrences.term_b

),

ranked as (

    select
        domain,
        term_a,
        term_b,
        pair_documents,
        term_a_documents,
        term_b_documents,
        domain_documents,
        round(pmi_raw, 4) as pmi,
        -- NPMI: PMI / -ln P(a,b); 1 when the two terms only ever occur together
        round(case when documents_without_pair = 0 then 0 else pmi_raw / -ln(pair_documents / domain_documents) end, 4)
            as npmi,
        row_number() over (partition by domain order by pmi_raw desc, pair_documents desc, term_a, term_b) as rank
    from scored

)

select * from ranked
where rank <= {{ var('concept_top_pairs') }}
