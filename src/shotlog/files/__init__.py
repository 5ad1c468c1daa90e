"""Uploaded files and thumbnails: where their bytes are kept (a directory or an S3-compatible
bucket, streamed and atomic, with the size limit enforced as they arrive), the keys and display
names they get, the expiring signatures of the URLs that serve them, and the thumbnail renditions
made from uploaded images. The service that ties them to entities and events is built on these.
"""
