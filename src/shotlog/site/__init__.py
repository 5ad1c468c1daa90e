"""What an FPTR site keeps beside its entities, over the Python API.

The activity stream and Note threads, who read which note, preferences, work schedules,
subscriptions, custom fields' visibility per project, and when a user last opened a project.
"""
