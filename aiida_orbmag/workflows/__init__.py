"""AiiDA work chains and the calcfunctions that build their inputs."""
