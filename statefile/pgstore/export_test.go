package pgstore

// UpdateSQL is the statement Save runs, for the benchmark that runs it by hand.
const UpdateSQL = updateSQL
