keep; ÿ garbage
