-- Every snapshot the lake still holds (maintenance expires old ones), with its commit message and what it
-- changed, one row per change kind and object: table ids for inserts and deletes, names for what was created.
with snapshots as (

    select snapshot_id, snapshot_time, author, commit_message, changes
    from ducklake_snapshots('lake')

),

entries as (

    select snapshot_id, unnest(map_entries(changes)) as entry
    from snapshots

),

changes as (

    select snapshot_id, entry.key as change, unnest(entry.value) as object
    from entries

)

select
    snapshots.snapshot_id,
    snapshots.snapshot_time,
    snapshots.author,
    snapshots.commit_message,
    changes.change,
    changes.object
from snapshots
left join changes using (snapshot_id)
