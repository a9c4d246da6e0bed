"""AiiDA work chains of aiida-orbmag, their protocols (``protocols/``) and the steps they share."""
