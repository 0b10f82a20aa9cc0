package discovery

import "testing"

// Session 11, branch s11-a (2026-11-24): a leave-half-out rules round.
// Each rule was kept because the half of the corpora nobody on the branch
// read gained and lost nothing (docs/templating.md, "Rules of session 11
// (s11-a)").

// TestAfterMintedID: a word right after a typed id (integer, UUID, token)
// is a sub-resource of that instance, even when it leads to a collection of its
// own (/staff/{id}/timesheet/weeks/{id}): the id names the instance alone,
// so nothing after it is a second instance. After a word parameter
// (/repos/{owner}/tea/issues/612) the nested-collection rule still holds.
func TestAfterMintedID(t *testing.T) {
	t.Run("sub-resources after an id", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/v2/firms/4410/staff/77/timesheet/weeks/12", "/v2/firms/4410/staff/78/payslip/lines/3",
			"/v2/firms/5120/staff/77/payslip/lines/9", "/v2/courses/_1234_1/rollbook/rows/_77_1", "/v2/courses/_2201_1/rollbook/rows/_78_1",
		}, map[string]string{
			"/v2/courses/_1234_1/rollbook/rows/_77_1":    "/v2/courses/{id}/rollbook/rows/{id2}",
			"/v2/firms/4410/staff/77/timesheet/weeks/12": "/v2/firms/{id}/staff/{id2}/timesheet/weeks/{id3}",
			"/v2/firms/4410/staff/78/payslip/lines/3":    "/v2/firms/{id}/staff/{id2}/payslip/lines/{id3}",
		})
	})
	t.Run("instances after a word parameter", func(t *testing.T) {
		checkEveryOrder(t, []string{
			"/repos/alice/tea/issues/612", "/repos/bob/kettle/issues/13", "/repos/carol/tea/pulls/7",
		}, map[string]string{
			"/repos/alice/tea/issues/612": "/repos/{name}/{name2}/issues/{id}",
			"/repos/carol/tea/pulls/7":    "/repos/{name}/{name2}/pulls/{id}",
		})
	})
}
