"""Writers and readers: they know samples and files, never tasks or engines."""
