console.log('hub cli placeholder')
