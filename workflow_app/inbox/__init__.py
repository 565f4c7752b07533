"""Who sees and acts on which task: queues, claim, release, reassign."""
