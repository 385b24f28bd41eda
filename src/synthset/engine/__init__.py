"""The engine: splits cut into shards, shards mapped over an executor, completed shards kept.

It knows shards and executors, never tasks or formats (docs/design.md, layers): the work done on a
shard is an opaque picklable callable handed in by the layer above.
"""
