"""The aiida-orbmag command-line tool."""
