"""The workflow engine: the only package that imports SpiffWorkflow."""
