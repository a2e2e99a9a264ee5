// Directory module
