package ignore

import "net/http"

func probe() {
	//hardenvet:ignore clienttimeout the caller's context bounds this call
	_, _ = http.Get("http://127.0.0.1/")
	_, _ = http.Head("http://127.0.0.1/") //hardenvet:ignore clienttimeout the probe is bounded by its context
	_, _ = http.Head("http://127.0.0.1/") //hardenvet:ignore clienttimeout // want `hardenvet:ignore needs a reason` `clienttimeout: http.DefaultClient`
	_, _ = http.Get("http://127.0.0.1/")  //hardenvet:ignore errcheck another analyzer named // want `clienttimeout: http.DefaultClient`
}
