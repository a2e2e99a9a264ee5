// Config module
