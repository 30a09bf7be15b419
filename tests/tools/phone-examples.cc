// Prints numbers to check gitdial's phone_possible against libphonenumber
// itself (tests/e2e/t-phone-possible.sh): for every region, its example
// numbers of every type, and each with one and two trailing digits cut.
// One line per number: "+E164 valid possible" (1 or 0, per the library).
#include <phonenumbers/phonenumberutil.h>

#include <cstdio>
#include <set>
#include <string>

using namespace i18n::phonenumbers;

int main()
{
	const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
	static const PhoneNumberUtil::PhoneNumberType types[] = {
		PhoneNumberUtil::FIXED_LINE, PhoneNumberUtil::MOBILE,
		PhoneNumberUtil::TOLL_FREE, PhoneNumberUtil::VOIP,
	};
	std::set<std::string> regions, seen;

	u->GetSupportedRegions(&regions);
	for (const std::string &r : regions)
		for (auto t : types) {
			PhoneNumber n;
			std::string e164;
			if (!u->GetExampleNumberForType(r, t, &n))
				continue;
			u->Format(n, PhoneNumberUtil::E164, &e164);
			/* each of the first national digits changed: the patterns */
			std::string nsn;
			u->GetNationalSignificantNumber(n, &nsn);
			size_t at = e164.size() - nsn.size();
			for (size_t pos = 0; pos < 3 && pos < nsn.size(); pos++)
				for (char d = '0'; d <= '9'; d++) {
					std::string s = e164;
					PhoneNumber p;
					s[at + pos] = d;
					if (!seen.insert(s).second ||
					    u->Parse(s, "ZZ", &p) != PhoneNumberUtil::NO_PARSING_ERROR)
						continue;
					std::printf("%s %d %d\n", s.c_str(),
						    u->IsValidNumber(p) ? 1 : 0,
						    u->IsPossibleNumber(p) ? 1 : 0);
				}
			for (int cut = 0; cut <= 2; cut++) {
				std::string s = e164.substr(0, e164.size() - cut);
				PhoneNumber p;
				if (s.size() < 9 || !seen.insert(s).second ||
				    u->Parse(s, "ZZ", &p) != PhoneNumberUtil::NO_PARSING_ERROR)
					continue;
				std::printf("%s %d %d\n", s.c_str(), u->IsValidNumber(p) ? 1 : 0,
					    u->IsPossibleNumber(p) ? 1 : 0);
			}
		}
	return 0;
}
