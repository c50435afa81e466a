"""The scale-out engine: the same contract on a Typesense cluster."""
