"""Jobs, each selecting stages by their group (one group per folder of `assets/`) or by asset selection objects."""

import dagster as dg

from assets import dedup, documents, filtered, ingestion, maintenance, mixtures, rating, signals, statistics
from assets.dedup.assets import dedup_fingerprints
from assets.partitions import CRAWL_FILES

# the partitioned stages: one crawl file in, its pages, documents, signals and fingerprints out
PER_CRAWL_FILE = dg.AssetSelection.groups(ingestion.GROUP, documents.GROUP, signals.GROUP) | dg.AssetSelection.assets(
    dedup_fingerprints
)
# over all partitions: filter recipe views, duplicate clusters, deduplicated views
CORPUS = dg.AssetSelection.groups(filtered.GROUP, dedup.GROUP) - dg.AssetSelection.assets(dedup_fingerprints)

CRAWL_PARTITION_JOB = "crawl_partition_job"

crawl_partition_job = dg.define_asset_job(
    CRAWL_PARTITION_JOB,
    selection=PER_CRAWL_FILE,
    partitions_def=CRAWL_FILES,
    description="Ingest one crawl file from the landing folder, turn its pages into documents, measure them, "
    "fingerprint them and link them to the duplicates already in the lake.",
)

LAKE_STATISTICS_JOB = "lake_statistics_job"

lake_statistics_job = dg.define_asset_job(
    LAKE_STATISTICS_JOB,
    selection=dg.AssetSelection.groups(statistics.GROUP),
    description="Rebuild the dbt statistics models over the whole lake and run their data tests.",
)

CORPUS_JOB = "corpus_job"

corpus_job = dg.define_asset_job(
    CORPUS_JOB,
    selection=CORPUS,
    description="Re-decide every filter recipe's view from the stored signals (nothing is measured again), "
    "cluster duplicates over all partitions, and refresh the deduplicated views.",
)

RATING_JOB = "rating_job"

rating_job = dg.define_asset_job(
    RATING_JOB,
    selection=dg.AssetSelection.groups(rating.GROUP),
    description="Load the annotations, train and cross-validate the rater and the fastText quality classifier, "
    "gate the deduplicated documents, score the new ones (GPU when present) and gate the ratings.",
)

MIXTURE_JOB = "mixture_job"

mixture_job = dg.define_asset_job(
    MIXTURE_JOB,
    selection=dg.AssetSelection.groups(mixtures.GROUP),
    description="Compute every mixture recipe's manifest from one pinned lake snapshot, gate it, and write its "
    "training shards.",
)

LAKE_MAINTENANCE_JOB = "lake_maintenance_job"

lake_maintenance_job = dg.define_asset_job(
    LAKE_MAINTENANCE_JOB,
    selection=dg.AssetSelection.groups(maintenance.GROUP),
    description="Expire old lake snapshots (keeping those mixture manifests pin), merge small files and delete "
    "files nothing needs any more.",
)
