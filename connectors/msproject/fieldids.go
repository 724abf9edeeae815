package msproject

import "strconv"

// Project's FieldIDs for the local custom fields (the PjField enumeration of the
// Project type library). MSPDI files reference custom values by FieldID only, and
// older files (2002/2003) often omit the <ExtendedAttributes> definitions, so the
// field — and with it the value's unit (cost in hundredths!) — has to be known from
// the ID itself. Enterprise fields are not listed: their definitions are always
// written.
var knownFieldIDs = func() map[int64]string {
	m := map[int64]string{}
	seq := func(base int64, name string, from, to int) {
		for i := from; i <= to; i++ {
			m[base+int64(i-from)] = name + strconv.Itoa(i)
		}
	}
	one := func(id int64, name string) { m[id] = name }

	// Tasks (0x0B400000 + index).
	for i, id := range []int64{188743731, 188743734, 188743737, 188743740, 188743743} {
		one(id, "Text"+strconv.Itoa(i+1))
		one(id+1, "Start"+strconv.Itoa(i+1))
		one(id+2, "Finish"+strconv.Itoa(i+1))
	}
	seq(188743746, "Text", 6, 10)
	seq(188743752, "Flag", 1, 10)
	seq(188743767, "Number", 1, 5)
	seq(188743783, "Duration", 1, 3)
	seq(188743786, "Cost", 1, 3)
	seq(188743938, "Cost", 4, 10)
	seq(188743945, "Date", 1, 10)
	seq(188743955, "Duration", 4, 10)
	for i := 0; i < 5; i++ {
		one(188743962+int64(2*i), "Start"+strconv.Itoa(6+i))
		one(188743963+int64(2*i), "Finish"+strconv.Itoa(6+i))
	}
	seq(188743972, "Flag", 11, 20)
	seq(188743982, "Number", 6, 20)
	seq(188743997, "Text", 11, 30)
	for i := 0; i < 10; i++ {
		one(188744096+int64(2*i), "Outline Code"+strconv.Itoa(i+1))
	}

	// Resources (0x0C400000 + index).
	one(205520904, "Text1")
	one(205520905, "Text2")
	seq(205520926, "Text", 3, 5)
	seq(205520993, "Text", 6, 10)
	seq(205520998, "Start", 1, 5)
	seq(205521003, "Finish", 1, 5)
	seq(205521008, "Number", 1, 5)
	seq(205521013, "Duration", 1, 3)
	seq(205521019, "Cost", 1, 3)
	one(205521022, "Flag10")
	seq(205521023, "Flag", 1, 9)
	seq(205521062, "Cost", 4, 10)
	seq(205521069, "Date", 1, 10)
	seq(205521079, "Duration", 4, 10)
	seq(205521086, "Finish", 6, 10)
	seq(205521091, "Flag", 11, 20)
	seq(205521101, "Number", 6, 20)
	seq(205521116, "Start", 6, 10)
	seq(205521121, "Text", 11, 30)
	for i := 0; i < 10; i++ {
		one(205521174+int64(2*i), "Outline Code"+strconv.Itoa(i+1))
	}

	// Assignments (0x0F400000 + index).
	seq(255852632, "Text", 1, 10)
	seq(255852642, "Start", 1, 5)
	seq(255852647, "Finish", 1, 5)
	seq(255852652, "Number", 1, 5)
	seq(255852657, "Duration", 1, 3)
	seq(255852663, "Cost", 1, 3)
	one(255852666, "Flag10")
	seq(255852667, "Flag", 1, 9)
	seq(255852703, "Cost", 4, 10)
	seq(255852710, "Date", 1, 10)
	seq(255852720, "Duration", 4, 10)
	seq(255852727, "Finish", 6, 10)
	seq(255852732, "Flag", 11, 20)
	seq(255852742, "Number", 6, 20)
	seq(255852757, "Start", 6, 10)
	seq(255852762, "Text", 11, 30)
	return m
}()

// KnownFieldName returns the local custom field a FieldID denotes ("Cost3"), if any.
func KnownFieldName(id int64) (string, bool) {
	n, ok := knownFieldIDs[id]
	return n, ok
}
