package pgstore_test

const childEnv = "PGSTORE_TEST_CHILD"

func runChild() int { return 2 }
