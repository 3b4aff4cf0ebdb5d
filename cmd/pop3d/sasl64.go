package main

import "gyrus/lib/sasl"

// codeContinue is libsasl's SASL_CONTINUE, which Cyrus reports as the
// failure of an AUTH whose response ends in an incomplete base64 group.
const codeContinue sasl.Code = 1

// codeText is libsasl's sasl_errstring for the codes an AUTH can end with.
func codeText(c sasl.Code) string {
	if c == codeContinue {
		return "another step is needed in authentication"
	}
	return c.String()
}

// statusCode is the libsasl code of a failed decoding.
func statusCode(d sasl.DecodeStatus) sasl.Code {
	switch d {
	case sasl.DecodeFail:
		return sasl.CodeFail
	case sasl.DecodeIncomplete:
		return codeContinue
	}
	return sasl.CodeBadProt
}
